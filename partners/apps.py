from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partners and people"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import ApiToken, User

        # A token's cached lookup goes when the token or its user changes (partners.authentication).
        post_save.connect(_forget_token, sender=ApiToken, dispatch_uid="api-token-cache-token-saved")
        post_delete.connect(_forget_token, sender=ApiToken, dispatch_uid="api-token-cache-token-deleted")
        post_save.connect(_forget_user_tokens, sender=User, dispatch_uid="api-token-cache-user-saved")
        post_delete.connect(_forget_user_tokens, sender=User, dispatch_uid="api-token-cache-user-deleted")


def _forget_token(sender, instance, **kwargs) -> None:
    from .authentication import api_token_cache_forget

    api_token_cache_forget([instance.key_hash])


def _forget_user_tokens(sender, instance, update_fields=None, **kwargs) -> None:
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # signing in changes nothing a token lookup depends on
    from .authentication import api_token_cache_forget
    from .models import ApiToken

    api_token_cache_forget(ApiToken.objects.filter(user_id=instance.pk).values_list("key_hash", flat=True))
