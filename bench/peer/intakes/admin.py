from django.contrib import admin

from bench.peer.intakes.models import Intake, Patient

admin.site.register(Patient)
admin.site.register(Intake)
