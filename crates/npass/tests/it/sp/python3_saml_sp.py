"""An MPass-era e-service's SAML side, as MPass's integration guide configures it, on
OneLogin's python3-saml: signed AuthnRequests over HTTP-POST (and HTTP-Redirect) with
NameIDPolicy AllowCreate, ForceAuthn and IsPassive; every response validated. The npass
integration tests drive it one step per run: `python3_saml_sp.py STATE COMMAND [ARGS]`, where
STATE is a JSON file with the SP's key, certificate and the IdP's metadata; it prints JSON.
Single logout: LogoutRequests over HTTP-POST (XML-signed, as MPass's guide has it) and
HTTP-Redirect (python3-saml's own); npass's LogoutRequests and LogoutResponses validated by
python3-saml's own checks (and, over HTTP-POST, its XML signature check)."""
import base64
import json
import copy
import sys
from urllib.parse import parse_qs, urlparse

from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request
from onelogin.saml2.logout_response import OneLogin_Saml2_Logout_Response
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
        "singleLogoutService": {"url": state["slo"],
                                "binding": C.BINDING_HTTP_POST if state.get("slo_post") else C.BINDING_HTTP_REDIRECT},
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
        # Encrypted assertions: the SP's metadata then offers its key for encryption.
        "wantAssertionsEncrypted": state.get("want_assertions_encrypted", False),
        "wantNameId": True,
        "requestedAuthnContext": state.get("requested_context", False),
        "requestedAuthnContextComparison": state.get("comparison", "exact"),
        "signatureAlgorithm": C.RSA_SHA256,
        "digestAlgorithm": C.SHA256,
        "rejectDeprecatedAlgorithm": True,
    },
}
settings = OneLogin_Saml2_Settings(settings_dict)
# HTTP-POST logout messages carry an XML signature, checked by validate_sign; python3-saml's
# own message checks look for a query signature only, so they run without asking for one.
unsigned_dict = copy.deepcopy(settings_dict)
unsigned_dict["security"]["wantMessagesSigned"] = False
post_settings = OneLogin_Saml2_Settings(unsigned_dict)
acs = urlparse(state["acs"])


def request_data(post=None, get=None, url=None):
    u = urlparse(url) if url else acs
    return {
        "https": "on" if u.scheme == "https" else "off",
        "http_host": u.hostname,
        "server_port": u.port or (443 if u.scheme == "https" else 80),
        "script_name": u.path,
        "post_data": post or {},
        "get_data": get or {},
    }


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def signed_b64(xml):
    signed = OneLogin_Saml2_Utils.add_sign(xml, state["key"], state["cert"],
                                           sign_algorithm=C.RSA_SHA256, digest_algorithm=C.SHA256)
    if isinstance(signed, bytes):
        signed = signed.decode()
    return base64.b64encode(signed.encode()).decode()


def status_codes(xml):
    from lxml import etree
    doc = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    return [e.get("Value") for e in doc.iter("{%s}StatusCode" % C.NS_SAMLP)]


def xml_signature_ok(b64, xpath=None):
    # True, or why the message's XML signature (the Response's or its assertion's, or the
    # one at xpath) does not verify with npass's certificate.
    try:
        return bool(OneLogin_Saml2_Utils.validate_sign(
            base64.b64decode(b64), cert=idp["idp"].get("x509cert"), xpath=xpath,
            multicerts=idp["idp"].get("x509certMulti", {}).get("signing"),
            raise_exceptions=True))
    except Exception as e:
        return "signature: %s" % e


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
    try:
        resp = OneLogin_Saml2_Response(settings, b64)
    except Exception as e:
        # An encrypted assertion this SP's key cannot open fails here.
        print(json.dumps({"valid": False, "error": "unreadable: %s" % e}))
        sys.exit(0)
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
            "encrypted": bool(resp.encrypted),
            "assertion_signed": "{%s}Signature" % C.NS_DS in [
                e.tag for a in (resp.decrypted_document if resp.encrypted else doc).iter(
                    "{%s}Assertion" % C.NS_SAML) for e in a],
        })
    print(json.dumps(out))
elif command == "logout-request":
    # BINDING NAMEID SESSION_INDEX [RELAY]: the service asks npass to end the session.
    binding, name_id, session_index = args[0], args[1], args[2]
    if binding == "redirect":
        auth = OneLogin_Saml2_Auth(request_data(), settings)
        url = auth.logout(return_to=args[3] if len(args) > 3 else None,
                          name_id=name_id, session_index=session_index)
        print(json.dumps({"id": auth.get_last_request_id(), "url": url}))
    else:
        req = OneLogin_Saml2_Logout_Request(settings, name_id=name_id, session_index=session_index)
        xml = req.get_xml()
        print(json.dumps({"id": OneLogin_Saml2_Logout_Request.get_id(xml),
                          "SAMLRequest": signed_b64(xml)}))
elif command == "idp-logout-request":
    # redirect URL | post B64: npass's LogoutRequest to this service, validated; the
    # service's LogoutResponse (a URL to follow, or a signed message to post).
    if args[0] == "redirect":
        get = query_of(args[1])
        auth = OneLogin_Saml2_Auth(request_data(get=get, url=state["slo"]), settings)
        url = auth.process_slo(keep_local_session=True)
        xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(get["SAMLRequest"])
        print(json.dumps({
            "valid": not auth.get_errors(), "error": auth.get_last_error_reason(), "url": url,
            "nameid": OneLogin_Saml2_Logout_Request.get_nameid(xml),
            "session_indexes": OneLogin_Saml2_Logout_Request.get_session_indexes(xml)}))
    else:
        b64 = args[1]
        req = OneLogin_Saml2_Logout_Request(post_settings, b64)
        valid = req.is_valid(request_data(post={"SAMLRequest": b64}, url=state["slo"]),
                             raise_exceptions=False)
        xml = base64.b64decode(b64)
        sig = xml_signature_ok(b64, "/samlp:LogoutRequest/ds:Signature")
        resp = OneLogin_Saml2_Logout_Response(settings)
        resp.build(OneLogin_Saml2_Logout_Request.get_id(xml))
        print(json.dumps({
            "valid": bool(valid) and sig is True,
            "error": req.get_error() or (None if sig is True else sig),
            "nameid": OneLogin_Saml2_Logout_Request.get_nameid(xml),
            "session_indexes": OneLogin_Saml2_Logout_Request.get_session_indexes(xml),
            "SAMLResponse": signed_b64(resp.get_xml())}))
elif command == "idp-logout-response":
    # redirect URL REQUEST_ID | post B64 REQUEST_ID: npass's answer to this service's
    # LogoutRequest, validated.
    if args[0] == "redirect":
        get = query_of(args[1])
        auth = OneLogin_Saml2_Auth(request_data(get=get, url=state["slo"]), settings)
        auth.process_slo(request_id=args[2], keep_local_session=True)
        xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(get["SAMLResponse"])
        print(json.dumps({"valid": not auth.get_errors(), "error": auth.get_last_error_reason(),
                          "relay_state": get.get("RelayState"), "status_detail": status_codes(xml)}))
    else:
        b64 = args[1]
        resp = OneLogin_Saml2_Logout_Response(post_settings, b64)
        valid = resp.is_valid(request_data(post={"SAMLResponse": b64}, url=state["slo"]),
                              args[2], raise_exceptions=False)
        sig = xml_signature_ok(b64, "/samlp:LogoutResponse/ds:Signature")
        print(json.dumps({"valid": bool(valid) and sig is True,
                          "error": resp.get_error() or (None if sig is True else sig),
                          "status_detail": status_codes(base64.b64decode(b64))}))
else:
    sys.exit("unknown command " + command)
