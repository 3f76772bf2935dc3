"""Where a webhook may be sent: public addresses only (unless an operator allows private
networks), checked on the resolved address at every send, and connected to as checked.

No test here opens a connection beyond loopback: the resolver and the connection are
replaced, and record what they were asked."""

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic import webhook_sending
from clinic.webhook_sending import address_is_public

INTERNAL_NETWORKS = ["0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
                     "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16",
                     "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",
                     "240.0.0.0/4", "::1/128", "::/128", "fc00::/7", "fe80::/10", "ff00::/8",
                     "2001:db8::/32"]  # fmt: skip
internal = st.one_of(*(st.ip_addresses(network=n) for n in INTERNAL_NETWORKS))
internal_v4 = st.one_of(*(st.ip_addresses(network=n) for n in INTERNAL_NETWORKS if "." in n))


@given(internal)
def test_no_internal_address_is_public(address):
    assert not address_is_public(address)


@given(internal_v4)
def test_an_internal_ipv4_address_inside_ipv6_is_not_public(address):
    hidden = [
        ipaddress.IPv6Address(f"::ffff:{address}"),  # IPv4-mapped
        ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80)),  # 6to4
        ipaddress.IPv6Address((0x64FF9B << 96) | int(address)),  # NAT64
    ]
    for address6 in hidden:
        assert not address_is_public(address6), address6


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111"])
def test_public_addresses_are_public(address):
    assert address_is_public(ipaddress.ip_address(address))


@pytest.fixture
def network(monkeypatch, settings):
    """Production's rule (no private networks); DNS answers what the test says; connections
    are recorded and refused."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    state = {"dns": {}, "resolved": [], "connected": []}

    def resolve(host, port):
        state["resolved"].append(host)
        return [ipaddress.ip_address(a) for a in state["dns"].get(host, [])]

    def create_connection(address, timeout=None, *args, **kwargs):
        state["connected"].append(address)
        raise ConnectionRefusedError()

    monkeypatch.setattr(webhook_sending, "resolve", resolve)
    monkeypatch.setattr(webhook_sending.socket, "create_connection", create_connection)
    return state


def test_a_host_name_resolving_to_loopback_is_refused_at_send(network):
    network["dns"]["hooks.example.test"] = ["127.0.0.1"]

    answer = webhook_sending.post("https://hooks.example.test/x", b"{}", {})

    assert not answer.ok and answer.status_code is None
    assert answer.error.startswith("refused:")
    assert network["connected"] == []


def test_one_internal_answer_among_public_ones_taints_the_name(network):
    network["dns"]["hooks.example.test"] = ["93.184.215.14", "10.1.2.3"]

    answer = webhook_sending.post("https://hooks.example.test/x", b"{}", {})

    assert answer.error.startswith("refused:")
    assert network["connected"] == []


def test_the_connection_goes_to_the_address_that_was_checked(network):
    """DNS rebinding: the name is resolved once; the socket is opened to that answer, never
    by resolving the name again."""
    network["dns"]["hooks.example.test"] = ["93.184.215.14"]

    answer = webhook_sending.post("https://hooks.example.test:8443/x", b"{}", {})

    assert network["resolved"] == ["hooks.example.test"]
    assert network["connected"] == [("93.184.215.14", 8443)]
    assert answer.error == "connection refused"


def test_plain_http_is_refused_without_private_networks(network):
    network["dns"]["hooks.example.test"] = ["93.184.215.14"]

    answer = webhook_sending.post("http://hooks.example.test/x", b"{}", {})

    assert answer.error == "refused: Must be an https URL."
    assert network["connected"] == []


def test_a_host_that_does_not_resolve_is_refused(network):
    answer = webhook_sending.post("https://nowhere.example.test/x", b"{}", {})

    assert answer.error == "refused: The host name does not resolve."


def test_an_endpoint_subscribed_when_allowed_is_still_checked_at_send(
    admin, settings, django_capture_on_commit_callbacks
):
    """The check at subscription is not trusted later: the rule is applied at every send."""
    from django.db import transaction

    from clinic.events import record_event
    from clinic.models import Branch, WebhookDelivery
    from tests.webhooks.helpers import subscribe
    from tests.webhooks.receiver import receiver

    with receiver() as got:
        subscribe(admin, got.url)
        settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            record_event(branch=Branch.objects.get(slug="north"), type="intake.created")

        assert got.requests == []
        delivery = WebhookDelivery.objects.get()
        assert delivery.state == "pending"
        assert delivery.last_error == "refused: Must be an https URL."
