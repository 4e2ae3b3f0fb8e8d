"""Lets respx mock the `httpx2` transport that the openai SDK uses.

respx patches `httpx`; the openai SDK sends through `httpx2`, a fork with the same model types.
Registering this mocker makes `respx.mock(using="httpx2")` intercept every `httpx2` transport:
requests are handed to the respx router as `httpx` requests and the answers converted back.
Exceptions a side effect raises (timeouts, connection errors) are mapped to their `httpx2` twins
so that the SDK sees them as it would see real network failures.
"""

from __future__ import annotations

import httpx
import httpx2
from respx.mocks import AbstractRequestMocker

_EXCEPTIONS: tuple[tuple[type[Exception], type[Exception]], ...] = (
    (httpx.ConnectTimeout, httpx2.ConnectTimeout),
    (httpx.ReadTimeout, httpx2.ReadTimeout),
    (httpx.WriteTimeout, httpx2.WriteTimeout),
    (httpx.PoolTimeout, httpx2.PoolTimeout),
    (httpx.TimeoutException, httpx2.ReadTimeout),
    (httpx.ConnectError, httpx2.ConnectError),
    (httpx.RemoteProtocolError, httpx2.RemoteProtocolError),
    (httpx.ReadError, httpx2.ReadError),
    (httpx.NetworkError, httpx2.NetworkError),
)


class Httpx2Mocker(AbstractRequestMocker):
    name = "httpx2"
    targets = [
        "httpx2._transports.default.HTTPTransport",
        "httpx2._transports.default.AsyncHTTPTransport",
    ]
    target_methods = ["handle_request", "handle_async_request"]

    @classmethod
    def to_httpx_request(cls, **kwargs):  # type: ignore[no-untyped-def]
        request: httpx2.Request = kwargs["request"]
        return httpx.Request(
            request.method,
            str(request.url),
            headers=list(request.headers.raw),
            content=request.content if hasattr(request, "_content") else None,
            extensions=dict(request.extensions),
        )

    @classmethod
    def prepare_sync_request(cls, httpx_request, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["request"].read()
        httpx_request = cls.to_httpx_request(**kwargs)
        return httpx_request, kwargs

    @classmethod
    async def prepare_async_request(cls, httpx_request, **kwargs):  # type: ignore[no-untyped-def]
        await kwargs["request"].aread()
        httpx_request = cls.to_httpx_request(**kwargs)
        return httpx_request, kwargs

    @classmethod
    def _send_sync_request(cls, httpx_request, *, target_spec, instance, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return super()._send_sync_request(httpx_request, target_spec=target_spec, instance=instance, **kwargs)
        except httpx.HTTPError as error:
            raise _as_httpx2(error) from error

    @classmethod
    async def _send_async_request(cls, httpx_request, *, target_spec, instance, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return await super()._send_async_request(
                httpx_request, target_spec=target_spec, instance=instance, **kwargs
            )
        except httpx.HTTPError as error:
            raise _as_httpx2(error) from error

    @classmethod
    def from_sync_httpx_response(cls, httpx_response, target, **kwargs):  # type: ignore[no-untyped-def]
        return httpx2.Response(
            status_code=httpx_response.status_code,
            headers=list(httpx_response.headers.raw),
            content=httpx_response.read(),
            request=kwargs["request"],
        )

    @classmethod
    async def from_async_httpx_response(cls, httpx_response, target, **kwargs):  # type: ignore[no-untyped-def]
        return httpx2.Response(
            status_code=httpx_response.status_code,
            headers=list(httpx_response.headers.raw),
            content=await httpx_response.aread(),
            request=kwargs["request"],
        )


def _as_httpx2(error: httpx.HTTPError) -> Exception:
    for source, target in _EXCEPTIONS:
        if isinstance(error, source):
            return target(str(error) or type(error).__name__)
    return httpx2.TransportError(str(error))
