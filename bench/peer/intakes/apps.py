from django.apps import AppConfig


class IntakesConfig(AppConfig):
    name = "bench.peer.intakes"
    label = "intakes"
