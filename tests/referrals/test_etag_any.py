from tests.referrals.helpers import EMERGENCY, move, open_referral


def test_if_match_star_accepts_the_current_version(api):
    referral_id = open_referral(api, **EMERGENCY)["referral"]["id"]

    response = move(api, referral_id, "sent", HTTP_IF_MATCH="*")

    assert response.status_code == 200
    assert response.json()["status"] == "sent"
