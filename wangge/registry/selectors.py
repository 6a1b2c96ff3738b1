from collections import defaultdict

from wangge.accounts.roles import VIEW_PEOPLE, require
from wangge.core.scope import restrict

from .models import Resident


def residents_of_households(*, user, households) -> dict[int, list[Resident]]:
    """Residents of the given households, masked fields only, grouped by household id."""
    require(user, VIEW_PEOPLE)
    grouped = defaultdict(list)
    rows = (
        restrict(Resident.objects.all(), user)
        .filter(household__in=[h.pk for h in households])
        .only("id", "name", "id_masked", "phone_masked", "gender", "birth_date", "kind", "household_id")
    )
    for resident in rows:
        grouped[resident.household_id].append(resident)
    return grouped
