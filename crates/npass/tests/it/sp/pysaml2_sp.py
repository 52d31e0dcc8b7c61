"""A second, independent service provider on pysaml2 (its own XML stack; signatures and
decryption by Debian's xmlsec1 binary): AuthnRequests over HTTP-Redirect with the query
signed, encrypted assertions (its metadata offers its key for encryption and, when the state
says "cbc", lists only AES-256-CBC as older toolkits do), single logout over HTTP-Redirect in
both directions. The npass integration tests drive it one step per run:
`pysaml2_sp.py STATE COMMAND [ARGS]`, where STATE is a JSON file with the SP's key,
certificate and the IdP's metadata; it prints JSON."""
import base64
import json
import os
import re
import sys
from urllib.parse import parse_qs, urlparse

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.s_utils import success_status_factory
from saml2.sigver import verify_redirect_signature
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

state_path = sys.argv[1]
state = json.load(open(state_path))
command, args = sys.argv[2], sys.argv[3:]

here = os.path.dirname(os.path.abspath(state_path))
key_file, cert_file = os.path.join(here, "pysaml2.key"), os.path.join(here, "pysaml2.crt")
for path, pem in ((key_file, state["key"]), (cert_file, state["cert"])):
    if not os.path.exists(path):
        with open(path, "w") as f:
            f.write(pem)

config = SPConfig()
config.load({
    "entityid": state["entity_id"],
    "xmlsec_binary": "/usr/bin/xmlsec1",
    "key_file": key_file,
    "cert_file": cert_file,
    "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
    "metadata": {"inline": [state["idp_metadata"]]},
    "accepted_time_diff": 60,
    "allow_unknown_attributes": True,
    "service": {"sp": {
        "endpoints": {
            "assertion_consumer_service": [(state["acs"], BINDING_HTTP_POST)],
            "single_logout_service": [(state["slo"], BINDING_HTTP_REDIRECT)],
        },
        "authn_requests_signed": True,
        "logout_requests_signed": True,
        "want_response_signed": True,
        "want_assertions_signed": False,
        "allow_unsolicited": False,
        "name_id_format": NAMEID_FORMAT_PERSISTENT,
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
    }},
})
client = Saml2Client(config)
idp_entity = next(iter(client.metadata.identity_providers()))
idp_slo = client.metadata.single_logout_service(idp_entity, BINDING_HTTP_REDIRECT, "idpsso")[0]["location"]
idp_certs = [c for _, c in client.metadata.certs(idp_entity, "idpsso", use="signing")]


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def location(info):
    return dict(info["headers"])["Location"]


def redirect_signed_by_npass(q):
    # pysaml2 checks a Redirect query's signature only on requests an IdP receives: here it is
    # checked explicitly, against npass's certificates from its metadata only.
    return any(verify_redirect_signature(q, client.sec.sec_backend, c) for c in idp_certs)


if command == "metadata":
    md = str(entity_descriptor(config))
    if state.get("cbc"):
        # As an older toolkit's metadata: the encryption key with AES-CBC only.
        md = re.sub(r'(<(\w+:)?KeyDescriptor use="encryption">.*?)(</(\w+:)?KeyDescriptor>)',
                    lambda m: m.group(1) + '<%sEncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes256-cbc"/>' % (
                        m.group(4) or "") + m.group(3),
                    md, flags=re.S)
    print(json.dumps({"metadata": md}))
elif command == "request-redirect":
    # An AuthnRequest over HTTP-Redirect, the query signed (RSA-SHA256).
    req_id, info = client.prepare_for_authenticate(
        entityid=idp_entity, relay_state=args[0] if args else "", binding=BINDING_HTTP_REDIRECT,
        sign=True, sigalg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
    print(json.dumps({"id": req_id, "url": location(info)}))
elif command == "response":
    request_id, b64 = args[0], args[1]
    raw = base64.b64decode(b64).decode()
    try:
        resp = client.parse_authn_request_response(b64, BINDING_HTTP_POST, outstanding={request_id: "/"})
    except Exception as e:
        print(json.dumps({"valid": False, "error": "%s: %s" % (type(e).__name__, e)}))
        sys.exit(0)
    if resp is None:
        print(json.dumps({"valid": False, "error": "no response"}))
        sys.exit(0)
    statement = resp.assertion.authn_statement[0]
    print(json.dumps({
        "valid": True,
        "encrypted": "EncryptedAssertion" in raw,
        "cipher": re.findall(r'EncryptionMethod Algorithm="([^"]+)"', raw),
        "nameid": resp.name_id.text,
        "nameid_format": resp.name_id.format,
        "attributes": resp.ava,
        "session_index": statement.session_index,
        "context": statement.authn_context.authn_context_class_ref.text,
        "in_response_to": resp.in_response_to,
    }))
elif command == "logout-request":
    # NAMEID SESSION_INDEX RELAY: this SP's LogoutRequest over HTTP-Redirect, signed.
    nid = NameID(text=args[0], format=NAMEID_FORMAT_PERSISTENT)
    req_id, req = client.create_logout_request(idp_slo, idp_entity, name_id=nid,
                                               session_indexes=[args[1]], sign=False)
    info = client.apply_binding(BINDING_HTTP_REDIRECT, str(req), idp_slo, relay_state=args[2],
                                sign=True, sigalg=SIG_RSA_SHA256)
    print(json.dumps({"id": req_id, "url": location(info)}))
elif command == "idp-logout-response":
    # URL REQUEST_ID: npass's LogoutResponse, its query signature and its content checked.
    q = query_of(args[0])
    try:
        resp = client.parse_logout_request_response(q["SAMLResponse"], BINDING_HTTP_REDIRECT)
        signed = redirect_signed_by_npass(q)
    except Exception as e:
        print(json.dumps({"valid": False, "error": "%s: %s" % (type(e).__name__, e)}))
        sys.exit(0)
    status = resp.response.status.status_code
    print(json.dumps({
        "valid": bool(resp) and signed and resp.in_response_to == args[1],
        "signed": signed,
        "status": status.value,
        "status_detail": status.status_code.value if status.status_code else None,
        "relay_state": q.get("RelayState"),
    }))
elif command == "idp-logout-request":
    # URL: npass's LogoutRequest to this SP over HTTP-Redirect, checked; the SP's signed
    # LogoutResponse (Success) as the URL it sends the browser to.
    q = query_of(args[0])
    try:
        req = client.parse_logout_request(q["SAMLRequest"], BINDING_HTTP_REDIRECT,
                                          relay_state=q.get("RelayState"), sigalg=q.get("SigAlg"),
                                          signature=q.get("Signature"))
        signed = redirect_signed_by_npass(q)
    except Exception as e:
        print(json.dumps({"valid": False, "error": "%s: %s" % (type(e).__name__, e)}))
        sys.exit(0)
    msg = req.message
    resp = client.create_logout_response(msg, bindings=[BINDING_HTTP_REDIRECT],
                                         status=success_status_factory(), sign=False)
    info = client.apply_binding(BINDING_HTTP_REDIRECT, str(resp), idp_slo,
                                relay_state=q.get("RelayState", ""), response=True, sign=True,
                                sigalg=SIG_RSA_SHA256)
    print(json.dumps({
        "valid": signed,
        "nameid": msg.name_id.text,
        "session_indexes": [s.text for s in msg.session_index],
        "url": location(info),
    }))
else:
    sys.exit("unknown command " + command)
