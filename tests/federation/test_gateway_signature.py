"""A subgraph checks the gateway's HMAC signature over exactly the bytes Hive Gateway signs."""

from __future__ import annotations

import subprocess
from typing import Any

import orjson
import pytest

from hub.api.federation import FEDERATION_DIR, node_available
from hub.web.gateway_signature import (
    CLIENT_ADDRESS,
    CLIENT_SIGNATURE,
    CLIENT_SIGNATURE_SECONDS,
    EXTENSION,
    GatewaySignature,
    SignatureRefused,
    js_number,
    signed_payload,
    stable_json,
)

SECRET = "per-deployment-secret"
QUERY = "query($r:[_Any!]!){_entities(representations:$r){...on Person{passports{iqama{status}}}}}"
AWKWARD: list[dict[str, Any] | None] = [
    None,
    {},
    {"r": [{"__typename": "Person", "id": "2010000020"}]},
    {"z": 1, "a": [1.5, -0.0, 1e21, 1e-7, 0.000001, 123456789012.25, 2**53], "é": 'نص عربي \u2028 "q" \\ \n\t\x01'},
    {"nested": {"b": None, "a": True, "c": False, "😀": "astral", "ｚ": "BMP above the surrogates"}},
    {"s": 'نص \u2028 "q" \\ \n\t\b\f\r\x01\x1f\x7f é😀', "n": [1, -2, 2**53, None, True], "ω": {"z": [], "a": {}}},
]


def test_the_signature_binds_the_query_and_the_variables() -> None:
    gateway = GatewaySignature(SECRET)
    variables = {"r": [{"__typename": "Person", "id": "2010000020"}]}
    signed = {EXTENSION: gateway.sign(QUERY, variables)}
    gateway.check(QUERY, variables, signed)
    for query, given, extensions in (
        (QUERY, variables, None),
        (QUERY, variables, {}),
        (QUERY, variables, {EXTENSION: ""}),
        (QUERY, {"r": [{"__typename": "Person", "id": "1000000008"}]}, signed),
        (QUERY.replace("status", "number"), variables, signed),
        (QUERY, variables, {EXTENSION: GatewaySignature("another deployment").sign(QUERY, variables)}),
        (QUERY, variables, {EXTENSION: "not base64!"}),
    ):
        with pytest.raises(SignatureRefused):
            gateway.check(query, given, extensions)


def test_numbers_are_written_as_javascript_writes_them() -> None:
    cases = {1.5: "1.5", -0.0: "0", 1e21: "1e+21", 1e20: "100000000000000000000", 1e-7: "1e-7", 0.000001: "0.000001"}
    cases |= {123.0: "123", 1.2345e-10: "1.2345e-10", -2.5e300: "-2.5e+300", 0.1 + 0.2: "0.30000000000000004"}
    assert {value: js_number(value) for value in cases} == cases


@pytest.mark.node
def test_python_signs_exactly_what_hive_gateways_plugin_signs() -> None:
    if not node_available():
        pytest.skip("Node.js federation peers missing (./dev test installs them)")
    script = """
import { createHmac } from 'node:crypto';
import { defaultParamsSerializer } from '@graphql-mesh/hmac-upstream-signature';
const cases = JSON.parse(process.argv[1]);
const out = cases.map(([query, variables]) => {
  const text = defaultParamsSerializer({ query, variables: variables ?? undefined });
  return [text, createHmac('sha256', process.argv[2]).update(text).digest('base64')];
});
console.log(JSON.stringify(out));
"""
    cases = [[QUERY, variables] for variables in AWKWARD]
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, orjson.dumps(cases).decode(), SECRET],
        cwd=FEDERATION_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    expected = orjson.loads(done.stdout)
    gateway = GatewaySignature(SECRET)
    for (text, signature), variables in zip(expected, AWKWARD, strict=True):
        parsed = orjson.loads(orjson.dumps(variables))  # as the subgraph receives them
        assert stable_json({"query": QUERY, **({"variables": parsed} if parsed else {})}) == text
        assert signed_payload(QUERY, parsed) == text.encode()
        gateway.check(QUERY, parsed, {EXTENSION: signature})


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_client_address_is_believed_only_as_the_gateway_signed_it() -> None:
    clock = Clock(1_800_000_000.0)
    gateway = GatewaySignature(SECRET, clock=clock)
    headers = gateway.sign_client("192.0.2.7")
    assert gateway.client(headers) == "192.0.2.7"
    forged = [
        {},
        {CLIENT_ADDRESS: "192.0.2.7"},
        {**headers, CLIENT_ADDRESS: "192.0.2.8"},  # another client's address under this signature
        GatewaySignature("another deployment", clock=clock).sign_client("192.0.2.7"),
        {**headers, CLIENT_SIGNATURE: headers[CLIENT_SIGNATURE].replace("t=1800000000", "t=1800000001")},
        {**headers, CLIENT_SIGNATURE: "t=1800000000,v1=not base64!"},
        {**headers, CLIENT_SIGNATURE: "v1=" + headers[CLIENT_SIGNATURE].partition("v1=")[2]},
        gateway.sign_client("not an address"),
    ]
    for given in forged:
        with pytest.raises(SignatureRefused):
            gateway.client(given)


def test_a_signed_client_address_expires() -> None:
    clock = Clock(1_800_000_000.0)
    gateway = GatewaySignature(SECRET, clock=clock)
    headers = gateway.sign_client("2001:db8::7")
    clock.now += CLIENT_SIGNATURE_SECONDS
    assert gateway.client(headers) == "2001:db8::7"
    clock.now += 1
    with pytest.raises(SignatureRefused, match="expired"):
        gateway.client(headers)
    clock.now -= 2 * CLIENT_SIGNATURE_SECONDS + 2  # signed in the subgraph's future: a skewed clock
    with pytest.raises(SignatureRefused, match="expired"):
        gateway.client(headers)
