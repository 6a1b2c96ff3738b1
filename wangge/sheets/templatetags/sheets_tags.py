from django import template

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    """{% if user|can:"import_ledgers" %}: the role check of accounts.roles, in a template."""
    return bool(user and user.is_authenticated and user.can(capability))


@register.inclusion_tag("sheets/_ledger_links.html", takes_context=True)
def ledger_links(context, name: str) -> dict:
    """{% ledger_links "units" %}: the Excel links of one ledger (template, upload, export) for a
    ledger's list page, each shown only when the user may use it."""
    from wangge.sheets import services
    from wangge.sheets.spec import find

    user = context.get("user")
    spec = find(name)
    if spec is None or user is None or not user.is_authenticated:
        return {"spec": None}
    return {"spec": spec, "can_import": services.may_import(user, spec), "can_export": services.may_export(user, spec)}
