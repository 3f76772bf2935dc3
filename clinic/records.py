"""Records that are written once and never changed: assessments, reviews, referral history,
the audit trail. The application refuses to update or delete them."""

from django.db import models


class WriteOnceModel(models.Model):
    write_once_message = "This record is written once and never changed."

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError(self.write_once_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(self.write_once_message)
