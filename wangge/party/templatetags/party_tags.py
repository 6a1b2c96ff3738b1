from django import template

from wangge.accounts.roles import VIEW_PARTY, Role

register = template.Library()


@register.simple_tag
def party_nav(user) -> dict:
    """Which of this app's links the navigation bar shows: staff the party pages, everyone
    logged in the activities and needs of their community."""
    # the scope's ids, not user.scope_key: the bar is on every page and must not fetch the region
    if user is None or not user.is_authenticated or not (user.scope_region_id or user.scope_department_id):
        return {}
    return {"party": user.can(VIEW_PARTY), "activities": user.role == Role.RESIDENT}


@register.simple_tag(takes_context=True)
def party_households(context, households) -> set:
    """The households of a building page that show a member's identity (党员户)."""
    from wangge.party.selectors import party_households as lookup

    return lookup(user=context["request"].user, household_ids=[h.pk for h in households])
