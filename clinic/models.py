"""Clinic branches and the API keys their reception systems use."""

from django.db import models
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager


class Branch(models.Model):
    """One clinic site. Every patient, intake and key belongs to exactly one branch."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name_plural = "branches"

    def __str__(self) -> str:
        return self.name


class ApiKeyManager(BaseAPIKeyManager):
    def get_usable_keys(self) -> models.QuerySet:
        # The caller's branch is needed on every request: fetch it with the key.
        return super().get_usable_keys().select_related("branch")


class ApiKey(AbstractAPIKey):
    """A reception system's key: only its hash is stored, and it sees only its branch."""

    objects = ApiKeyManager()

    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="api_keys")

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"
