"""Auth and the error rule of a YAML CRM, on every request: a bearer token or a header key from the settings; an
OAuth refresh token or a token exchange (POST credentials, read the token and values such as fxiaoke's corpId from
the answer) sent as headers, query params or JSON body fields. The answer is checked by the file's error rule (an
HTTP 200 whose errorCode is not 0 is an error): a "token expired" code or a 401 gets one new token and the call
once more, then a clear line; a "too frequent" code waits and tries again; any other code stops with one line."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from dlt.common.configuration import configspec
from dlt.sources.helpers.rest_client.auth import AuthConfigBase
from requests import PreparedRequest, Response

from ingestion.common.api_errors import path_of
from ingestion.common.errors import FunnelhouseError
from ingestion.rest_crm.spec import (
    BearerAuth, CrmSpec, ErrorRule, HeaderKeyAuth, OAuthRefreshAuth, Send, TokenExchangeAuth,
)
from ingestion.rest_crm.values import dig, render

RENEWED = "_rest_crm_renewed"  # set on a request re-sent with a new token: a second refusal is final
RETRIES = "_rest_crm_retries"  # how often a request was re-sent after a "too frequent" answer


def code_of(rule: ErrorRule | None, response: Response) -> tuple[Any, str] | None:
    """(errorCode, errorMessage) of an answer the rule says is an error; None for a good answer."""
    if rule is None:
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    code = dig(body, rule.code_path)
    if code is None or str(code) in {str(ok) for ok in rule.ok}:
        return None
    message = dig(body, rule.message_path) if rule.message_path else None
    return code, " ".join(str(message or "").split())[:300]


def _listed(code: Any, codes: list[Any]) -> bool:
    return str(code) in {str(item) for item in codes}


@dataclass
class AuthPlan:
    """What CrmAuth needs: the spec, the resolved settings, the session, where the secrets are set."""

    spec: CrmSpec
    base_url: str
    settings: dict[str, Any] = field(repr=False)  # secrets among them: never shown
    session: Any = field(repr=False)
    check: str = ""  # "app_id, app_secret under [sources.fxiaoke] in .dlt/secrets.toml or FUNNELHOUSE_FXIAOKE_*"
    obtained: dict[str, Any] = field(default_factory=dict, repr=False)  # {"token": ..., "corp_id": ...}
    sleep: Any = time.sleep


@configspec
class CrmAuth(AuthConfigBase):
    """requests auth of a YAML CRM (see the module docstring); `plan` is set by `for_plan`."""

    @classmethod
    def for_plan(cls, plan: AuthPlan) -> CrmAuth:
        auth = cls()
        auth.plan = plan
        return auth

    def __repr__(self) -> str:
        return f"CrmAuth({self.plan.spec.name!r}, {type(self.plan.spec.auth).__name__})"

    __str__ = __repr__

    # ---------------------------------------------------------------- tokens
    @property
    def renewable(self) -> bool:
        return isinstance(self.plan.spec.auth, (TokenExchangeAuth, OAuthRefreshAuth))

    def _url(self, path: str) -> str:
        return path if "://" in path else urljoin(self.plan.base_url.rstrip("/") + "/", path.lstrip("/"))

    def _refused(self, what: str, detail: str) -> FunnelhouseError:
        return FunnelhouseError(f"{self.plan.spec.name}: the token request was refused ({what}"
                                f"{': ' + detail if detail else ''}): check {self.plan.check}")

    def obtain(self) -> None:
        """A new token (and values) from the token endpoint; one line when it refuses."""
        auth, names = self.plan.spec.auth, self.plan.settings
        if isinstance(auth, TokenExchangeAuth):
            request = auth.request
            body = render(request.body, names) if request.body is not None else None
            response = self.plan.session.request(request.method, self._url(render(request.path, names)),
                                                 params=render(request.params, names),
                                                 headers=render(request.headers, names), json=body)
            token_path, values = auth.token_path, auth.values
        else:
            assert isinstance(auth, OAuthRefreshAuth)
            response = self.plan.session.post(self._url(auth.token_url), data={
                "grant_type": "refresh_token", "client_id": names[auth.client_id],
                "client_secret": names[auth.client_secret], "refresh_token": names[auth.refresh_token]},
                headers={"Accept": "application/json"})
            token_path, values = "access_token", {}
        error = code_of(self.plan.spec.errors, response)
        if response.status_code >= 400 or error:
            code, message = error or (response.status_code, "")
            raise self._refused(f"{'errorCode ' if error else 'HTTP '}{code}", message)
        try:
            answer = response.json()
        except ValueError:
            answer = None
        token = dig(answer, token_path)
        if not token:
            raise self._refused("no token", f"the answer has no {token_path}")
        self.plan.obtained = {"token": token, **{name: dig(answer, path) for name, path in values.items()}}

    # ---------------------------------------------------------------- sending
    def _send_spec(self) -> Send:
        auth, names = self.plan.spec.auth, self.plan.settings
        if isinstance(auth, BearerAuth):
            return Send(headers={"Authorization": f"Bearer {names[auth.token]}"})
        if isinstance(auth, HeaderKeyAuth):
            where = {"headers" if auth.location == "header" else "params": {auth.header: str(names[auth.key])}}
            return Send(**where)
        if auth is None:
            return Send()
        return auth.send

    def apply(self, request: PreparedRequest) -> PreparedRequest:
        """The credentials on `request` (again on a re-sent copy: a renewed token replaces the old one)."""
        if self.renewable and not self.plan.obtained:
            self.obtain()
        names = {**self.plan.settings, **self.plan.obtained}
        send = self._send_spec()
        for header, value in send.headers.items():
            request.headers[header] = str(render(value, names))
        if send.params:
            request.prepare_url(request.url, {key: render(value, names) for key, value in send.params.items()})
        if send.body and request.body:
            payload = json.loads(request.body)
            if isinstance(payload, dict):
                payload.update(render(send.body, names))
                request.body = json.dumps(payload, ensure_ascii=False).encode()
                request.headers["Content-Length"] = str(len(request.body))
        return request

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        request = self.apply(request)
        hooks = request.hooks.setdefault("response", [])
        if self._guard not in hooks:  # first: the source's response actions see the answer after a renewal
            hooks.insert(0, self._guard)
        return request

    def _resend(self, response: Response, mark: str, count: int, **kwargs: Any) -> Response:
        response.content  # noqa: B018 - read and release the connection before sending again
        response.close()
        again = self.apply(response.request.copy())
        setattr(again, mark, count)
        for other in (RENEWED, RETRIES):
            if other != mark and hasattr(response.request, other):
                setattr(again, other, getattr(response.request, other))
        sent = {key: kwargs[key] for key in ("timeout", "verify", "proxies", "stream", "cert") if key in kwargs}
        return self.plan.session.send(again, **sent)  # the limiter counts it; the hooks see the new answer

    def _guard(self, response: Response, **kwargs: Any) -> Response:
        rule, crm = self.plan.spec.errors, self.plan.spec.name
        error = code_of(rule, response)
        expired = (response.status_code == 401 and self.renewable) or (
            error is not None and rule is not None and _listed(error[0], rule.renew_codes))
        if expired:
            said = f"errorCode {error[0]}: {error[1]}" if error else f"401{': ' + error[1] if error else ''}"
            if getattr(response.request, RENEWED, 0):
                raise FunnelhouseError(f"{crm} rejected a freshly obtained token ({said}) for {path_of(response)}: "
                                       f"check {self.plan.check}, and that the app may read this data")
            self.obtain()
            return self._resend(response, RENEWED, 1, **kwargs)
        if error is None:
            return response
        code, message = error
        assert rule is not None
        if _listed(code, rule.retry_codes):
            tries = getattr(response.request, RETRIES, 0)
            if tries >= rule.retry_attempts:
                raise FunnelhouseError(
                    f"{crm} kept answering errorCode {code} ({message or 'too frequent'}) for {path_of(response)} "
                    f"after {tries} retries {rule.retry_seconds:g} s apart: run again later, or raise "
                    f"errors.retry_attempts / retry_seconds in the CRM's YAML file")
            self.plan.sleep(rule.retry_seconds)
            return self._resend(response, RETRIES, tries + 1, **kwargs)
        raise FunnelhouseError(f"{crm} answered errorCode {code} for {path_of(response)}"
                               f"{': ' + message if message else ''}")
