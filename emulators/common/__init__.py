"""The emulator harness every vendor emulator stands on (STYLE (b)); nothing in it names a vendor.

- `vendor.py`: `Vendor` (auth checker, error-body renderer, rate-limit answers and headers, 5xx answers, extra
  fault keys), auth checkers `bearer()`, `header_key(name)`, `query_key(name)`, `any_of(...)`, `ApiError`,
  `RateWindow`, `Fault`, `added_field_fault()` (schema drift).
- `state.py`: `EmulatorState`: tokens (`accept_token`, expiry), faults (429 bursts, 5xx, slow, expired token,
  the vendor's), rate windows, request ids, stats per path (and per route).
- `app.py`: `api(handler, group, guard)` (every vendor route goes through it), `control(handler)`, the
  `/_emulator/health|faults|stats` routes, `create_app(state, routes)`, `json_body`, `int_param`, `multi_param`.
- `paging.py`: `cursor_page` (opaque keyset cursor), `offset_page`, `next_url`, `check_limit`.
- `records.py`: `read_jsonl` (a seed file, with line-numbered errors), `RecordTable` (records in memory: modified-since/until, deleted and id filters, edits),
  `parse_instant`, `instant_param`, `as_text` (values as string-only APIs write them).
- `server.py`: `EmulatorServer` (uvicorn in a thread, http or https with ssl_certfile/ssl_keyfile; a vendor
  writes `_build()` and `_release()`), `serve_in_foreground`.
A vendor (see emulators/pipedrive/): `VENDOR = Vendor(name=..., auth=header_key("x-api-token"), error_body=...,
unauthorized=..., rate_limited=..., server_error=..., rate_policies=("burst", "daily"))`; routes are
`Route(path, api(handler))`, a handler reads `emulator_state(request).store` and raises ApiError to refuse;
`create_app(EmulatorState(VENDOR, [token], store=..., windows=[RateWindow("burst", 2.0, 80)]), routes)`;
a subclass of EmulatorServer returns that app and state from `_build()`.
Emulators import nothing from `ingestion/`.
"""
