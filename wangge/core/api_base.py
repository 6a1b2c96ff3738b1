"""Authentication shared by every app's API: bearer tokens for systems, sessions for people."""

from ninja.security import HttpBearer, django_auth


class TokenAuth(HttpBearer):
    """`Authorization: Bearer wg_…` for systems; people use their browser session."""

    def authenticate(self, request, token):
        from wangge.accounts.tokens import user_for_token

        user = user_for_token(token)
        if user is None:
            return None
        request.user = user
        return user


API_AUTH = [TokenAuth(), django_auth]


__all__ = ["API_AUTH", "TokenAuth"]
