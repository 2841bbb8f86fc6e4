"""Everything about Hey Now itself: its channels, its errors, and the HTTP client for its API."""

from bot.heynow.channels import Channel, PlatformRef
from bot.heynow.client import Contact, HeyNowClient
from bot.heynow.errors import (
    DeliveryUnknown,
    HeyNowError,
    HeyNowHTTPError,
    HeyNowTimeout,
    HeyNowTransportError,
    HeyNowUnreachable,
    InvalidCredentials,
    NotFound,
    PermissionDenied,
    ProtocolError,
    ServerError,
)

__all__ = [
    "Channel",
    "Contact",
    "DeliveryUnknown",
    "HeyNowClient",
    "HeyNowError",
    "HeyNowHTTPError",
    "HeyNowTimeout",
    "HeyNowTransportError",
    "HeyNowUnreachable",
    "InvalidCredentials",
    "NotFound",
    "PermissionDenied",
    "PlatformRef",
    "ProtocolError",
    "ServerError",
]
