from datetime import date


def age_on(date_of_birth: date, day: date) -> int:
    """Whole years completed on `day` (a birthday on 29 February counts from 1 March)."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday
