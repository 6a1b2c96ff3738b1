from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "wangge.registry"
    label = "registry"
