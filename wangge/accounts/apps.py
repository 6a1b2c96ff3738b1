from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "wangge.accounts"
    label = "accounts"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import tokens
        from .models import ApiToken, User

        # A process forgets the tokens it remembers as soon as it changes a token or a user itself.
        for model in (ApiToken, User):
            post_save.connect(tokens.forget, sender=model, dispatch_uid=f"tokens.forget.save.{model.__name__}")
            post_delete.connect(tokens.forget, sender=model, dispatch_uid=f"tokens.forget.delete.{model.__name__}")
