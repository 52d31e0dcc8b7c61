"""An MPass-era e-service's SAML side, as MPass's integration guide configures it, on
OneLogin's python3-saml: signed AuthnRequests over HTTP-POST (and HTTP-Redirect) with
NameIDPolicy AllowCreate, ForceAuthn and IsPassive; every response validated. The npass
integration tests drive it one step per run: `python3_saml_sp.py STATE COMMAND [ARGS]`, where
STATE is a JSON file with the SP's key, certificate and the IdP's metadata; it prints JSON."""
import base64
import json
import sys
from urllib.parse import urlparse

from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.response import OneLogin_Saml2_Response
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils

state = json.load(open(sys.argv[1]))
command, args = sys.argv[2], sys.argv[3:]

idp = OneLogin_Saml2_IdPMetadataParser.parse(state["idp_metadata"])
settings_dict = {
    "strict": True,
    "debug": False,
    "sp": {
        "entityId": state["entity_id"],
        "assertionConsumerService": {"url": state["acs"], "binding": C.BINDING_HTTP_POST},
        "singleLogoutService": {"url": state["slo"], "binding": C.BINDING_HTTP_REDIRECT},
        "NameIDFormat": C.NAMEID_UNSPECIFIED,
        "x509cert": state["cert"],
        "privateKey": state["key"],
    },
    "idp": idp["idp"],
    "security": {
        "authnRequestsSigned": True,
        "logoutRequestSigned": True,
        "logoutResponseSigned": True,
        "wantMessagesSigned": True,
        "wantAssertionsSigned": state.get("want_assertions_signed", False),
        "wantNameId": True,
        "requestedAuthnContext": state.get("requested_context", False),
        "requestedAuthnContextComparison": state.get("comparison", "exact"),
        "signatureAlgorithm": C.RSA_SHA256,
        "digestAlgorithm": C.SHA256,
        "rejectDeprecatedAlgorithm": True,
    },
}
settings = OneLogin_Saml2_Settings(settings_dict)
acs = urlparse(state["acs"])


def request_data(post=None, get=None):
    return {
        "https": "on" if acs.scheme == "https" else "off",
        "http_host": acs.hostname,
        "server_port": acs.port or (443 if acs.scheme == "https" else 80),
        "script_name": acs.path,
        "post_data": post or {},
        "get_data": get or {},
    }


flag = lambda s: s == "1"

if command == "metadata":
    print(json.dumps({"metadata": settings.get_sp_metadata().decode()}))
elif command == "request-post":
    # MPass's guide: HTTP-POST, the AuthnRequest's XML signed with the service's key.
    # A third argument "sha1" signs as services did before SHA-256 (npass must refuse it).
    req = OneLogin_Saml2_Authn_Request(settings, force_authn=flag(args[0]), is_passive=flag(args[1]))
    sha1 = len(args) > 2 and args[2] == "sha1"
    signed = OneLogin_Saml2_Utils.add_sign(
        req.get_xml(), state["key"], state["cert"],
        sign_algorithm=C.RSA_SHA1 if sha1 else C.RSA_SHA256,
        digest_algorithm=C.SHA1 if sha1 else C.SHA256)
    if isinstance(signed, bytes):
        signed = signed.decode()
    print(json.dumps({"id": req.get_id(), "xml": signed,
                      "SAMLRequest": base64.b64encode(signed.encode()).decode()}))
elif command == "request-redirect":
    auth = OneLogin_Saml2_Auth(request_data(), settings)
    url = auth.login(return_to=args[2] if len(args) > 2 else None,
                     force_authn=flag(args[0]), is_passive=flag(args[1]))
    print(json.dumps({"id": auth.get_last_request_id(), "url": url}))
elif command == "response":
    request_id, b64 = args[0], args[1]
    resp = OneLogin_Saml2_Response(settings, b64)
    valid = resp.is_valid(request_data(post={"SAMLResponse": b64}), request_id, raise_exceptions=False)
    out = {"valid": bool(valid), "error": resp.get_error()}
    doc = resp.document
    status = OneLogin_Saml2_Utils.get_status(doc)
    out["status"] = status.get("code")
    out["status_detail"] = [e.get("Value") for e in doc.iter("{%s}StatusCode" % C.NS_SAMLP)]
    if valid:
        out.update({
            "nameid": resp.get_nameid(),
            "nameid_format": resp.get_nameid_format(),
            "attributes": resp.get_attributes(),
            "session_index": resp.get_session_index(),
            "contexts": resp.get_authn_contexts(),
            "in_response_to": resp.get_in_response_to(),
            "assertion_signed": "{%s}Signature" % C.NS_DS in [
                e.tag for a in doc.iter("{%s}Assertion" % C.NS_SAML) for e in a],
        })
    print(json.dumps(out))
else:
    sys.exit("unknown command " + command)
