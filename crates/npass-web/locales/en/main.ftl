# npass — English
service-name = npass
service-tagline = Authentication and access control service
skip-to-content = Skip to content
language-menu = Language
logout = Log out
footer-help = Assistance centre
footer-phone = Phone
footer-email = Email
request-id = Request number
link-home = Go to the start page
link-login = Log in
link-register = Register
link-account = Go to my account
cancel = Cancel
continue = Continue
confirm = Confirm
save = Save
mandatory-note = Fields marked * are mandatory.

login-title = Log in
login-lead = Enter your national identification number, your password and, if you turned on two-step authentication, the verification code from your Authenticator app.
login-code-hint = Leave empty if you have not turned on two-step authentication. A recovery code also works here.
login-submit = Log in
login-no-code = Two-step authentication: I don't have a verification code
login-register = Create an account

field-national-id = National identification number
field-password = Password
field-password-confirm = Confirm password
field-code = Verification code
field-given-name = Given name(s)
field-family-name = Family name
field-birth-date = Date of birth
field-email = Email
field-phone = Phone number
field-current-code = Current verification code
field-enter-code = Enter the verification code

register-title = Register
register-lead = Create your account with the details from your identity document. We will send you an email to confirm your address.
register-submit = Register
register-have-account = I already have an account
password-hint = At least { $n } characters. A long phrase that you can remember is best; any characters are allowed.
register-sent-title = Check your email
register-sent-text = We sent a confirmation link to { $email }. Open it to activate your account; it is valid for 24 hours.

confirm-title = Confirm your email address
confirm-lead = Press the button to confirm your email address and activate your account.
confirm-submit = Confirm my email address
confirm-failed-title = The link cannot be used
confirm-unknown = This confirmation link is not valid or was already used.
confirm-expired = This confirmation link has expired. Ask for a new one: it goes to the address you registered with.

notice-logged-out = You have logged out.
notice-email-confirmed = Your email address is confirmed. You can log in now.
notice-reauth = For your safety, log in again before changing how you log in.
notice-reauth-service = The e-service asks you to log in again before it continues.
notice-login-for-two-step = Log in to see or change your two-step authentication.
notice-lang-unknown = That language is not available. The page is shown in another language.
notice-two-step-removed = Two-step authentication is turned off.

account-title = My account
account-profile = Personal details
account-assurance = Identity assurance
account-session-level = This session's level of assurance

two-step-title = Two-step authentication
two-step-active-since = Two-step authentication is on since { $date }.
recovery-left = Unused recovery codes: { $n }
two-step-manage = Manage two-step authentication
two-step-off = Two-step authentication is off. Turn it on to log in to services that require a higher level of assurance.
two-step-set = Set the verification code
two-step-lead = Two-step authentication uses a password that you set and verification codes from an Authenticator app installed on your mobile phone.
two-step-steps = Steps to turn on two-step authentication
two-step-step-1 = Choose "Set the verification code".
two-step-step-2 = Set your password, if you do not have one.
two-step-step-3 = Install any Authenticator app on your phone.
two-step-step-4 = Scan the QR code and enter the code the app shows.
two-step-replace = Replace the authenticator
two-step-replace-text = Use this when you move to a new phone. The current app keeps working until the new one is confirmed.
two-step-remove = Turn off two-step authentication
two-step-remove-text = Your account will then reach only the low level of assurance.
recovery-new-title = New recovery codes
recovery-new-text = The recovery codes you have now stop working.
recovery-new = Your new recovery codes are ready.

two-step-password-title = Set the password
two-step-password-note = Note: logging in with the verification code requires a password.
two-step-device-title = Install an Authenticator app
two-step-device-question = What type of device do you have?
two-step-device-install = Go to the app store and install any "Authenticator" app, or use one of the links below.
two-step-scan-title = Add npass to your Authenticator app
two-step-scan-lead = Scan the QR code with the Authenticator app, then enter the code the app shows.
two-step-qr-alt = QR code to add your npass account to an Authenticator app
two-step-cant-scan = Can't scan the QR code?
two-step-key-text = Enter this key in the app by hand (type: time-based):
two-step-done-title = Two-step authentication is on
two-step-done = The verification code was added successfully.
recovery-codes-title = Recovery codes
recovery-codes-text = Keep these codes somewhere safe. Each one can be used once instead of a verification code if you lose your phone. They are shown only now.

history-title = Recent activity
history-empty = No activity yet.
history-when = When
history-what = What
history-from = From
history-login-success = Logged in
history-login-failure = Failed login attempt
history-login-locked = Login locked after too many attempts
history-session-logout = Logged out
history-account-register = Account registered
history-account-email-confirmed = Email address confirmed
history-account-register-attempt = Someone tried to register with your identification number
history-two-step-activated = Two-step authentication turned on
history-two-step-removed = Two-step authentication turned off
history-two-step-enrol-failure = Wrong code while setting two-step authentication
history-two-step-code-failure = Wrong verification code
history-recovery-used = Recovery code used
history-recovery-regenerated = New recovery codes made
history-password-set = Password set
history-admin-account-added = Account created by an operator
history-admin-account-locked = Account locked by an operator
history-admin-account-unlocked = Account unlocked by an operator
history-by-operator = by the assistance centre

level-low = low
level-substantial = substantial
level-high = high
assurance-self-asserted = self-declared
assurance-verified-remote = verified remotely
assurance-verified = verified in person or by electronic signature

error-title = Something went wrong
error-method = This address does not accept that kind of request.
error-csrf = The form has expired or did not come from this site. Go back, reload the page and try again.
error-form = The form could not be read. Go back and try again.
error-too-large = What was sent is too large.
error-not-found = The page does not exist.
error-conflict = This was already done.
error-login-needed = Please log in.
error-forbidden = You are not allowed to do this.
error-rate-limited = Too many attempts. Wait a little and try again.
error-expired = This has expired. Start again.
error-unavailable = The service is temporarily unavailable. Nothing was changed. Please try again in a few minutes.
error-internal = An unexpected error happened. Nothing was changed. Please try again.

err-nid-empty = Enter your national identification number.
err-nid-characters = The national identification number contains characters it cannot have.
err-nid-length = The national identification number has the wrong length.
err-nid-checksum = The national identification number is not valid: its check digit does not match. Check for a mistyped digit.
err-nid-date = The date of birth inside the identification number does not exist.
err-nid-country = The passport's issuing country code is not known.
err-nid-not-accepted = This kind of identification number is not accepted here.
err-required = This field is mandatory.
err-name-characters = Use letters, spaces, apostrophes and hyphens only (at most 100 characters).
err-date-format = Enter a real date as YYYY-MM-DD, for example 1990-05-31.
err-date-range = The date of birth must be in the past.
err-email-format = Enter an email address like name@example.md.
err-phone-format = Enter a phone number that exists, like 069 123 456 or +373 69 123 456.
err-password-empty = Enter a password.
err-password-too-long = The password is too long: at most { $n } characters.
err-password-too-short = The password is too short: use at least { $n } characters.
err-password-common = This password is among the most commonly used ones and easy to guess. Choose another.
err-password-context = The password is built from your name, your identification number or the service's name. Choose another.
err-password-weak = This password is easy to guess. A few uncommon words that belong together only for you make a strong one.
err-password-weak-repeat = This password is easy to guess: it repeats itself (like "aaaa" or "abcabc"). A few uncommon words make a strong one.
err-password-weak-sequence = This password is easy to guess: it is mostly a sequence (like "1234" or "abcd"). A few uncommon words make a strong one.
err-password-weak-keyboard = This password is easy to guess: it follows the keys of a keyboard (like "qwerty" or "asdfgh"). A few uncommon words make a strong one.
err-password-weak-date = This password is easy to guess: it is mostly a date or a year. A few uncommon words make a strong one.
err-password-weak-words = This password is easy to guess: it is mostly a common password, word or name, perhaps with digits added. A few uncommon words make a strong one.
err-password-mismatch = The two passwords are not the same.
err-account-exists = An account already exists for this identification number. Log in, or restore your password.
err-code-wrong = The verification code is not correct. Enter the current code from the app.
err-rate-limited = { $seconds ->
        [one] Too many attempts. Try again in { $seconds } second.
       *[other] Too many attempts. Try again in { $seconds } seconds.
    }
err-locked = Logging in is locked after too many failed attempts. We sent you an email. Contact the assistance centre to unlock it.
err-expired = This step has expired. Start again.
err-login-failed = The identification number, the password or the verification code is wrong.
err-email-not-confirmed = Confirm your email address first: open the link we sent you. No email, or the link expired? Ask for a new one: "Send the confirmation link again".
err-account-locked = This account is locked. Contact the assistance centre.
err-second-factor-required = A password alone is not enough to log in here. Enter the verification code too; if you have not set it yet, log in with an electronic signature and choose "Set the verification code".

mail-footer = This message was sent by npass. If you did not do this, contact the assistance centre at once.
mail-confirm-email-subject = Confirm your email address
mail-confirm-email-body = Hello,
    
    to activate your npass account, open this link within 24 hours:
    { $link }
mail-locked-subject = Logging in to your account is locked
mail-locked-body = There were too many failed attempts to log in to your npass account, so logging in is now locked. Contact the assistance centre to unlock it.
mail-register-attempt-body = Someone tried to open a new npass account with your identification number. You already have an account, so nothing was created and nothing was changed. If it was you, log in with your password or your electronic signature; if you have forgotten your password, contact the assistance centre. If it was not you, you do not need to do anything.
mail-register-attempt-subject = Someone tried to register with your identification number
mail-two-step-activated-subject = Two-step authentication was turned on
mail-two-step-activated-body = Two-step authentication was turned on for your npass account, with a new Authenticator app.
mail-two-step-removed-subject = Two-step authentication was turned off
mail-two-step-removed-body = Two-step authentication was turned off for your npass account.
mail-recovery-used-subject = A recovery code was used
mail-recovery-used-body = A recovery code was used to log in to your npass account. Unused recovery codes left: { $left }.
mail-recovery-regenerated-subject = New recovery codes
mail-recovery-regenerated-body = New recovery codes were made for your npass account; the old ones no longer work.
mail-operator-locked-subject = Your account was locked
mail-operator-locked-body = Your npass account was locked by the assistance centre.
mail-operator-unlocked-subject = Your account was unlocked
mail-operator-unlocked-body = Your npass account was unlocked by the assistance centre. You can log in again.

oidc-unknown-client = The service that sent you here is not registered with npass, or is switched off. Nothing was sent to it.
oidc-bad-redirect = The service that sent you here gave a return address that is not registered. For your safety you were not sent back.
oidc-repeated-parameter = The request from the service is not valid: a parameter is repeated.
consent-title = Share your details
consent-lead = { $service } asks to log you in with npass and to receive:
consent-data = Details that will be shared
consent-scope-openid = That you have logged in (an identifier used only for this service)
consent-scope-profile = Your name and date of birth
consent-scope-email = Your email address
consent-scope-phone = Your phone number
consent-scope-national-id = Your national identification number
consent-scope-organization = When you log in with an organisation's certificate: that organisation's identification number (IDNO) and name
consent-scope-roles = Your roles at this service (given by its administrators)
consent-level = Level of assurance of your login: { $level }
consent-allow = Allow
consent-deny = Do not allow
consent-revoke-note = npass remembers your answer. Each time details are shared it is recorded in your account's activity.
history-oidc-authorized = Logged in to a service
history-oidc-consent = Agreed to share details with a service
history-oidc-tokens-issued = Details shared with a service
history-admin-eservice-added = E-service registered
history-admin-eservice-disabled = E-service switched off
history-admin-eservice-enabled = E-service switched on
history-admin-eservice-secret-rotated = E-service secret replaced
history-admin-signing-key-added = Signing key added
err-redirect-uri = Each redirect URI must be an absolute https:// address (http:// only for 127.0.0.1 or localhost), without a fragment.
err-auth-method = Unknown client authentication method; use client_secret_basic or private_key_jwt.
err-scope-unknown = Unknown scope; use openid, profile, email, phone or national_id.
err-level-unknown = Unknown level; use low, substantial or high.
history-oidc-revoked = A service's access was withdrawn
end-session-title = Log out of npass?
end-session-lead = The service you used asks npass to log you out. You will be logged out of npass and of the other services you entered with it.
end-session-stay = Stay logged in
oidc-bad-hint = The logout request from the service is not valid.
services-title = Connected services
services-empty = You have not shared details with any service yet.
services-since = since { $date }
services-withdraw = Stop sharing with { $service }
notice-service-withdrawn = The service no longer receives your details; its access was withdrawn.
history-oidc-consent-withdrawn = Stopped sharing details with a service
oidc-bad-request-uri = The request from the service has expired or was already used. Go back to the service and start again.
history-admin-signing-key-retired = Signing key replaced
err-jwks = Give a JSON Web Key Set file with the public keys (no private parts) for private_key_jwt.
err-id-token-alg = The ID token algorithm must be ES256 or RS256.
err-jwks-uri = The JWKS address must be an absolute https:// address (http:// only for 127.0.0.1 or localhost).

## E-signature login
esign-login-title = Log in with your electronic signature
esign-login-lead = Use the qualified certificate on your card, USB token or in your signing application. It logs you in at level high; a first login opens your account.
esign-login-submit = Log in with e-signature
esign-card-submit = Use the card or token in this browser
esign-wait-title = Sign with your electronic signature
esign-wait-lead = Sign this login request with your signing application. This page continues by itself once the signature arrives (within 2 minutes).
esign-wait-challenge = Login request to sign:
esign-wait-command = With the npass-sign application and your certificate file:
esign-wait-file = certificate.p12
esign-wait-open-app = Open the signing application
esign-wait-continue = I have signed — continue
esign-wait-qr-alt = QR code of the login request, for a signing application on a phone
esign-wait-status = Waiting for the signature…
esign-back-to-login = Back to the other ways to log in
esign-refused-title = The electronic signature was not accepted
esign-other-methods = You can still log in with your password and verification code.
esign-register-title = Registration
esign-register-lead = Your electronic signature identified you. Add the data we need to open your account; your name and identification number come from your certificate.
esign-register-submit = Open my account
err-esign-not-configured = Electronic-signature login is not available here.
err-esign-no-certificate = Your browser did not present a certificate. Check that the card or token is connected and choose its certificate when the browser asks.
err-esign-malformed = The signature or the certificate could not be read.
err-esign-untrusted = The certificate was not issued by a certification authority this service trusts.
err-esign-expired = The certificate has expired.
err-esign-not-yet-valid = The certificate is not valid yet.
err-esign-revoked = The certificate has been revoked.
err-esign-revocation-unknown = We could not confirm that the certificate has not been revoked, so it cannot be used right now. Try again later.
err-esign-wrong-usage = This certificate may not be used to log in (its key usage does not allow it).
err-esign-policy = This kind of certificate is not accepted for logging in.
err-esign-no-identity = The certificate does not carry a national identification number this service recognises.
err-esign-bad-signature = The signature does not match the certificate.
err-esign-challenge-unknown = This login request is not known here, or belongs to another browser.
err-esign-challenge-expired = This login request expired. Start again from the login page.
err-esign-challenge-used = This login request was already answered.
history-esign-verified = Electronic signature verified
history-esign-refused = Electronic signature refused
history-esign-answer-refused = An electronic signature answer was refused
history-account-register-esign = Account opened with an electronic signature
notice-esign-for-two-step = To set up two-step authentication, log in with your electronic signature.
login-forgot-password = Forgot your password?
notice-password-changed = Your new password is saved. Your other sessions were signed out.
history-password-reset = Password reset with an emailed link

error-summary-title = There is a problem
field-current-password = Current password
field-new-password = New password
link-back-account = Back to my account
link-back-login = Back to the login page
password-change-title = Change your password
password-change-note = Your other sessions will be signed out, and services you logged in to will ask you to log in again.
password-reset-title = Choose a new password
password-reset-note = After saving it, log in with the new password. If two-step authentication is on, you will still need the code from your Authenticator app.
err-current-password-wrong = The current password is not correct.
forgot-title = Forgot your password?
forgot-lead = Enter your national identification number. If it belongs to an account, we will email a link for choosing a new password to the address of that account.
forgot-submit = Send me the link
forgot-esign = Do you have an electronic signature?
forgot-esign-link = Log in with it and set a new password.
forgot-no-email = No longer have access to that email address? Contact the assistance centre.
forgot-sent-title = Check your email
forgot-sent = If this identification number belongs to an account with a confirmed email address, we have sent a link to that address. The link works for { $minutes } minutes and only once.
forgot-sent-none = No email? Look in the spam folder. You can ask for a new link in a few minutes.
reset-gone-title = This link no longer works
reset-gone = The link for choosing a new password was already used, has expired, or is not complete. Ask for a new one.
reset-gone-again = Ask for a new link
notice-password-reset-login = Your new password is saved and every session was signed out. Log in with the new password.
account-security = Password and sessions
account-password-link = Change your password
account-sessions-link = See where you are logged in
sessions-title = Sessions and devices
sessions-lead = These browsers are logged in to your account now. If you do not recognise one, sign it out and change your password.
sessions-this-browser = this browser
sessions-from = From the address
sessions-started = Logged in
sessions-last-seen = Last active
sessions-level = Level of assurance
sessions-end = Sign out { $device }
sessions-end-others = Sign out everywhere else
notice-session-ended = That session was signed out.
notice-sessions-ended = Every other session was signed out.
notice-session-gone = That session had already ended.
device-on = { $browser } on { $system }
device-unknown = Unknown browser
history-password-changed = Password changed
history-password-change-failure = Wrong current password while changing the password
history-password-reset-requested = A link to reset the password was emailed
history-password-reset-not-sent = A password reset was asked for; no new link was sent
history-session-ended-by-citizen = A session was signed out from My account
mail-password-reset-link-subject = Choose a new npass password
mail-password-reset-link-body = Hello,
    
    someone asked to reset the password of your npass account. To choose a new password, open this link within { $minutes } minutes (it works once):
    { $link }
    
    If it was not you, ignore this message: your password stays as it is.
mail-password-changed-subject = Your npass password was changed
mail-password-changed-body = The password of your npass account was changed, and the other sessions were signed out.
    
    If this wasn't you, someone may know your password or have access to your email: contact the assistance centre at once, and check the sessions in My account.
two-step-manage-lead = Each of these changes needs the current code from your Authenticator app.
err-code-used = This code was already used. Wait for the next code in the app (a new one comes every 30 seconds) and enter it.
hint-phone = Optional. For example 069 123 456, or with the country code: +373 69 123 456.
hint-birth-date = As in your identity document.
released-subject = an identifier used only for that service
released-assurance = how sure npass is of your identity
released-name = your name
released-birth-date = your date of birth
released-language = your language
released-email = your email address
released-phone = your phone number
released-national-id = your national identification number
released-roles = your roles at that service
released-organization = the organisation your certificate names
account-levels-what = What do these mean?
account-assurance-help = Identity assurance says how sure npass is that the account belongs to the person its identification number names: "self-declared" when you registered yourself, "verified" after an electronic signature or a check in person.
account-level-help = The level of this session says how strongly you proved it is you when you logged in: "low" with a password alone, "substantial" with a password and a verification code, "high" with an electronic signature. Some services ask for a higher level; npass then asks you to log in that way.
footer-links = About this service
footer-help-link = Help and frequently asked questions
footer-terms = Terms of use
footer-privacy = Privacy notice
footer-accessibility = Accessibility statement
page-help-title = Help and frequently asked questions
page-terms-title = Terms of use
page-privacy-title = Privacy notice
page-accessibility-title = Accessibility statement
page-help-body =
    How do I log in? Enter your national identification number and your password. If you turned on two-step authentication, also enter the current code from your Authenticator app. If you have an electronic signature, you can log in with it instead.
    
    I forgot my password. On the login page choose "Forgot your password?": we email a link to the address of your account. If two-step authentication is on, you still need the code from the app after choosing a new password.
    
    I lost my phone with the Authenticator app. Log in with one of the recovery codes you kept when you turned on two-step authentication, then set the verification code again. Without recovery codes, log in with your electronic signature or contact the assistance centre.
    
    Someone else may be using my account. Change your password in My account, then open "See where you are logged in" and sign out every other session.
    
    For anything else, contact the assistance centre shown at the bottom of every page.
page-terms-body =
    { $service } lets you prove who you are to public and private e-services. Your account is personal: do not share your password, your verification codes or your recovery codes with anyone, including people who say they work for the assistance centre.
    
    An e-service receives your details only after you agree, and only the details it is entitled to. Every login, and every time details are shared, is recorded in your account history.
    
    You can stop sharing details with an e-service at any time in My account. Misuse of another person's identity is an offence.
page-privacy-body =
    { $service } keeps your national identification number, your names, date of birth, email address, phone number and language; your password only as a one-way hash; the key of your Authenticator app encrypted; and the history of your logins and of what was shared with which e-service.
    
    E-services receive only what you agreed to share. Each e-service gets its own identifier for you, so e-services cannot link your accounts, unless the law entitles one to your national identification number.
    
    You can see your data, your sessions and what was shared in My account. Emails are sent only about your account and its security. The history of logins is kept as long as the law requires for the security of the service.
page-accessibility-body =
    { $service } is made to meet the Web Content Accessibility Guidelines (WCAG) 2.1 at level AA: every page works with a keyboard and screen readers, without JavaScript, on phones 320 pixels wide, and in Romanian, Russian and English.
    
    Each release is checked automatically with a real browser and the axe-core accessibility checks. If something does not work for you, tell the assistance centre: say which page and what happened, and we will answer and fix it.
resend-title = Send the confirmation link again
resend-lead = Enter the national identification number you registered with. If its registration is waiting for confirmation, we will send a new link to the email address given then.
resend-submit = Send the link again
resend-note = { $days ->
        [one] A registration that is not confirmed within { $days } day is deleted; you can then register again.
       *[other] A registration that is not confirmed within { $days } days is deleted; you can then register again.
    }
resend-sent = If this identification number has a registration waiting for confirmation, we have sent a new link to the email address given at registration.
register-sent-none = No email? Look in the spam folder, or ask for the link again.
history-account-register-replacement = Someone registered again with your identification number before it was confirmed
history-account-confirmation-resent = The confirmation link was sent again
history-account-confirmation-not-resent = A new confirmation link was asked for; none was sent
stepup-title = A stronger login is needed
stepup-lead = { $service } needs the level of assurance "{ $needed }"; you are logged in at "{ $have }".
stepup-why-substantial = This level needs two steps: your password and the current code from your Authenticator app, or an electronic signature.
stepup-why-high = This level needs an electronic signature.
stepup-with-code = Log in with your password and the verification code
stepup-no-code = I don't have a verification code
stepup-no-code-text = Set the verification code now (it takes a few minutes and needs your phone); then log in with it and you will go on to the service.
stepup-esign-text = An electronic signature reaches every level.
stepup-none-here = This level cannot be reached with the ways of logging in offered here. You can go back to the service.
stepup-decline = Go back to { $service } without logging in
two-step-done-continue = Log in with the code and continue
two-step-done-continue-text = The service that sent you here needs this new code: log in with your password and the code now shown in the app, and you will go on to it.
two-step-open-app = Setting it up on this phone? Open the key in your Authenticator app
profile-title = Contact details and language
profile-contact = Phone and language
field-language = Language of emails and pages
hint-language = We write to you in this language.
profile-email = Email address
profile-email-now = Your email address now: { $email }
field-new-email = New email address
hint-new-email = We send a link to the new address; it changes once you open the link. Your current address is told.
profile-email-submit = Send the link to the new address
err-email-same = This is already your email address.
email-change-sent = We sent a link to { $email }. Open it to move your account to that address; until then nothing changes.
email-change-gone = This link to confirm a new email address was already used, has expired, or is not complete. Ask for a new one in My account.
email-change-title = Confirm your new email address
email-change-lead = Your npass account will use { $email } from now on.
email-change-submit = Use this address
notice-contact-changed = Your contact details are saved.
notice-email-changed = Your new email address is saved.
notice-account-deleted = Your account was deleted. You can register again at any time.
account-profile-link = Change your phone, email address or language
account-lost-link = Lost your phone with the Authenticator app?
account-delete-link = Delete your account
delete-title = Delete your account
delete-lead = Deleting your account cannot be undone. This is what happens:
delete-what-1 = You are logged out everywhere, and every e-service you logged in to is told and loses access to your details.
delete-what-2 = Your name, date of birth, email address, phone number, password, verification code and recovery codes are erased at once.
delete-what-3 = The record of logins and of what was shared keeps, without your details, what the law requires, for as long as it requires.
delete-what-4 = Your identification number is free: you can register again at any time.
delete-submit = Delete my account
lost-title = Lost your phone with the Authenticator app?
lost-recovery = Log in with your identification number, your password and one of the recovery codes you kept when you turned on two-step authentication: enter it in the verification code field. Then, in My account, replace the authenticator with the app on your new phone.
lost-esign = No recovery codes? Log in with your electronic signature, then set the verification code again.
lost-help = Otherwise, contact the assistance centre: they will check who you are and help you set the verification code again.
lost-after = Every change to your two-step authentication is emailed to you.
login-lost-phone = Lost your phone with the verification codes?
history-account-contact-changed = Contact details changed
history-account-email-change-requested = A change of email address was asked for
history-account-email-changed = Email address changed
history-account-deleted = Account deleted
mail-email-change-confirm-subject = Confirm your new email address for npass
mail-email-change-confirm-body = Hello,
    
    to use this address for your npass account, open this link within 24 hours:
    { $link }
    
    If you did not ask for this, ignore this message.
mail-email-change-requested-subject = A new email address was asked for your npass account
mail-email-change-requested-body = Someone logged in to your npass account asked to move it to { $email }. Nothing changes until that address confirms it.
    
    If this wasn't you, change your password at once and contact the assistance centre.
mail-email-changed-subject = Your npass email address was changed
mail-email-changed-body = Your npass account now uses the email address { $email }; this address will get no more messages about it.
    
    If this wasn't you, contact the assistance centre at once.
mail-account-deleted-subject = Your npass account was deleted
mail-account-deleted-body = Your npass account was deleted at your request, and every e-service lost access to your details. You can register again at any time.
    
    If this wasn't you, contact the assistance centre at once.
show-password = Show password
hide-password = Hide password
history-esign-certificate-new = Logged in with an electronic signature certificate used for the first time
mail-certificate-new-subject = A new electronic signature was used for your npass account
mail-certificate-new-body = Someone logged in to your npass account with an electronic signature certificate not used before: issued by { $issuer }, serial number { $serial }.
    
    If it was you (a new card, token or mobile signature), you do not need to do anything. If it wasn't you, contact the assistance centre at once and have the certificate revoked by its issuer.
services-last-release = Last received on { $date }: { $data }.
footer-integration = Integration procedure for e-services
page-integration-title = Integration procedure for e-services
page-integration-body =
    An e-service logs its users in with { $service } over OpenID Connect: the authorization code flow with PKCE, signed ID tokens, pairwise subjects, back-channel logout. The provider describes itself at { $issuer }/.well-known/openid-configuration.
    
    To integrate, ask the operator to register your e-service: its name, its return addresses, the lowest level of assurance it accepts and the details it needs. You receive a client identifier and a secret (or register your public keys). Try your e-service on a test deployment before production.
    
    The integration guide that comes with { $service } (docs/integration.md) describes every parameter, claim and error.
footer-help-none = Answers to the common questions are in the help pages below.

## Passkeys
passkeys-title = Passkeys
passkeys-account-lead = A passkey lets you log in with your phone's or computer's screen lock, or with a security key, instead of a password and a code. Nobody can use it on a fake site.
passkeys-manage = Manage passkeys
passkeys-lead = Your passkeys. Each one works only on this service and only with the device that keeps it, unlocked by you.
passkeys-none = You have no passkey yet.
passkeys-added = Added
passkeys-last-used = Last used
passkeys-never-used = Not used yet
passkeys-kept = Kept
passkeys-synced = Synced to your other devices by their maker
passkeys-device-bound = On this device only
passkeys-level = Level it gives on its own
passkeys-rename-label = New name for "{ $name }"
passkeys-rename = Rename
passkeys-remove = Remove "{ $name }"
passkeys-add-title = Add a passkey
passkeys-add-lead = Give it a name you will recognise, then follow what your browser asks: unlock your phone or computer, or touch your security key.
passkeys-name = Name of the passkey
passkeys-name-hint = For example "My phone" or "Work security key".
passkeys-add-submit = Add a passkey
passkeys-off = Passkeys are not available on this installation of the service.
passkeys-need-substantial = To add a passkey, log in with two-step authentication or with your electronic signature first.
passkey-needs-script = Passkeys need JavaScript in your browser.
passkey-login-title = Log in with a passkey
passkey-login-lead = Use your phone's or computer's screen lock, or your security key. No password needed.
passkey-login-submit = Log in with a passkey
passkey-js-failed = The passkey could not be used. Try again, or log in another way.
passkey-js-cancelled = The passkey was not used: the request was cancelled or timed out. Try again when you are ready.
passkey-step-title = Confirm with your passkey
passkey-step-lead = Your password is right. As a second step, use one of your passkeys.
passkey-step-submit = Use my passkey
passkey-step-other = Log in another way
notice-passkey-added = The passkey is added. You can log in with it now.
notice-passkey-renamed = The passkey is renamed.
notice-passkey-removed = The passkey is removed.
notice-passkey-gone = That passkey had already been removed.
err-passkey-failed = The passkey could not be checked. Try again, or log in with your password.
err-passkey-refused = Your device's answer could not be accepted (the passkey must be unlocked by you). Try again, or use another device.
err-passkey-exists = This passkey is already registered.
err-passkey-name-invalid = The name cannot contain control characters.
err-too-long = This is too long: at most { $n } characters.
history-passkey-added = Passkey added
history-passkey-renamed = Passkey renamed
history-passkey-removed = Passkey removed
history-passkey-counter-regression = A passkey was refused: its device may have been copied
mail-passkey-added-subject = A passkey was added to your npass account
mail-passkey-added-body = A passkey named "{ $name }" was added to your npass account. If it was not you, log in, remove it and change your password, or contact the assistance centre.
mail-passkey-removed-subject = A passkey was removed from your npass account
mail-passkey-removed-body = The passkey named "{ $name }" was removed from your npass account. If it was not you, contact the assistance centre.
stepup-passkey-text = Log in with one of your passkeys.

## QR login with the npass app
app-login-title = Log in with the npass app
app-login-lead = Scan a code with your phone, check the number and unlock it. No password needed; the phone and this computer need not share a network.
app-login-submit = Show the code
app-wait-title = Scan the code with your phone
app-wait-lead = Open the camera or the npass app on the phone that has your passkey and scan this code. The code works for 2 minutes, once.
app-wait-qr-alt = QR code to scan with your phone
app-wait-number = On the phone, choose this number:
app-wait-number-label = The number to choose: { $number }
app-wait-status = Waiting for your phone…
app-login-over-title = This code can no longer be used
err-app-login-refused = The login was refused on the phone, or another number was chosen. Nothing was logged in. Start again for a new code.
err-app-login-expired = The code expired before the phone answered. Start again for a new code.
err-app-login-over = This login is over. Start again from the login page.
app-approve-title = Log in on another device?
app-approve-loading = Loading the request…
app-approve-lead = Someone asks to log in to your npass account on another device. Approve only if it is you, now.
app-approve-service = For
app-approve-browser = Browser
app-approve-place = From
app-approve-time = When
app-approve-pick = Choose the number shown on that device
app-approve-deny = It was not me: refuse
app-portal = npass (your account)
app-approved = Approved. Go back to the other device: it is logged in.
app-denied = Refused. Nobody was logged in.
app-refused-unknown = This request is not known, or the link is incomplete. Scan the code again.
app-refused-used = This request was already answered.
app-refused-expired = This request expired. Start again on the other device.
app-refused-wrong-number = That is not the number shown on the other device. The request was cancelled to keep your account safe; start again.
app-refused-passkey = Your passkey could not be checked. Try again.
history-login-app-approved = Login on another device approved from the phone
history-login-app-denied = Login on another device refused from the phone
history-login-app-wrong-number = Login on another device cancelled: the wrong number was chosen

# The npass app (PWA)
app-name = npass app
app-description = Your national login on your phone: approve logins by QR code, see your details, manage your devices.
app-off = The npass app needs this service to run at a web address with a name (not a bare IP address). Ask the operator.
app-offline = No connection to npass. Check the network and try again.
app-login-heading = Log in to the app
app-login-intro = Log in once with your national identification number, password and verification code. Then this phone becomes one of your devices and opens with its own screen lock.
app-enrol-heading = Make this phone your device
app-enrol-lead = Your phone will create a key that only it keeps, unlocked by its screen lock (PIN, pattern, fingerprint or face). npass never sees how you unlock it.
app-device-name = Name of this device
app-device-default-name = My phone
app-enrol-submit = Add this phone
app-locked-heading = The app is locked
app-locked-lead = Unlock it with this phone's screen lock.
app-unlock = Unlock
app-forget = Log in with another account
app-lock = Lock the app
app-profile-heading = Your details
app-devices-heading = Your devices
app-devices-lead = Phones where the npass app can approve your logins. Revoke one you no longer have: it stops at once.
app-this-device = this device
app-revoke = Revoke
app-enrolled = Added
app-device-revoked = This phone is no longer one of your devices. Log in again to add it.
app-err-invalid-token = Your app session is not valid any more. Unlock the app or log in again.
app-err-locked = The app is locked. Unlock it with this phone's screen lock.
app-err-two-step-needed = To use the app, first activate two-step authentication for your account (on the npass website, under My account).
app-err-not-found = Not found: it may have been removed already.
app-err-unlock-needed = Confirm it is you with this phone's screen lock first: lock the app and unlock it again.
history-device-enrolled = A phone was added as a device for the npass app
history-app-signed-in = The npass app was set up on a device
history-app-unlocked = The npass app was unlocked
history-app-unlock-refused = An attempt to unlock the npass app was refused
history-app-refresh-reused = An npass app session was ended: its token was used twice
passkeys-app-device = The npass app on this phone: it approves your QR logins. Removing it stops the app at once.
app-err-esign-needed = Changes to how you log in are made on the npass website, after logging in with your electronic signature.
app-codes-heading = Verification codes
app-codes-current = The verification code now:
app-codes-lead = This app can give the verification codes npass asks for, even without a network. It then replaces any other Authenticator app.
app-codes-current-hint = The code your current Authenticator app shows now.
app-codes-submit = Use this app for verification codes
app-codes-done = This app now gives your verification codes. Your old Authenticator app no longer works for npass.
app-codes-seconds-left = Seconds left:
app-send-label = Or send the request to your phone: national identification number
app-send-hint = If your npass app is set up on a phone, the request waits there. You still choose the number shown here.
app-send-submit = Send to my phone
app-wait-sent = If this identification number has the npass app on a phone, the request is waiting in the app too: open it and choose the number below.
app-requests-heading = Login requests waiting
app-requests-none = No login request is waiting.
app-requests-open = Check and answer
app-requests-refresh = Look again
history-app-request-capped = Too many login requests were sent to your phone; the latest were not sent
err-push-endpoint = This push service is not one npass may send to.
err-push-keys = The subscription's keys are not valid.
app-push-title = npass: a login request
app-push-body = Open the npass app to check who asks and answer.
app-push-enable = Notify me of login requests on this phone
app-push-on = This phone will be notified of login requests.
err-picture-not-image = This is not a PNG or JPEG picture.
err-picture-too-large = The picture is too large: at most { $n } MB.
err-picture-too-big = The picture is too big: at most { $n } pixels a side.
app-picture-heading = Your picture
app-picture-label = Choose a new picture (PNG or JPEG, at most 2 MB)
app-picture-submit = Save the picture
app-picture-saved = Your picture is saved.
app-picture-alt = Your profile picture
account-picture-alt = Your profile picture
history-account-picture-changed = Profile picture changed
history-account-picture-removed = Profile picture removed
released-picture = your picture
app-scan-heading = Scan a login code
app-scan-lead = Point the camera at the code on the other device's login page. Only npass login codes are opened.
app-scan-start = Scan with the camera
app-scan-video = What the camera sees
app-scan-looking = Looking for an npass code…
app-scan-stop = Stop scanning

## SAML 2.0
saml-post-title = Returning to the service
saml-post-lead = You are being sent back to { $service }. If nothing happens, press Continue.
saml-post-continue = Continue
saml-bad-request = The request from the service could not be read. Nothing was sent to it. Go back to the service and start again.
saml-too-large = The request from the service is too large. Nothing was sent to it.
saml-unknown-service = The service that sent you here is not registered with npass, or is switched off. Nothing was sent to it.
saml-bad-signature = The request from the service is not signed with its registered certificate. For your safety nothing was sent to it.
saml-weak-signature = The request from the service is signed with an algorithm npass no longer accepts (SHA-1). Nothing was sent to it.
saml-bad-destination = The request from the service was meant for another login address. Nothing was sent to it.
saml-stale-request = The request from the service is too old or dated in the future (check the service's clock). Go back to the service and start again.
saml-bad-acs = The service gave a return address that is not registered. For your safety you were not sent back.
saml-relay-state = The request from the service carries more than 80 bytes of return state. Nothing was sent to it.
saml-replay = This request from the service was already used. Go back to the service and start again.
history-saml-authorized = Logged in to a service (SAML)
history-saml-consent = Agreed to share details with a service (SAML)
history-saml-logout = Logged out of the services you had logged in to
err-saml-metadata = The service provider's metadata could not be read: give a SAML metadata file (EntityDescriptor with an SPSSODescriptor) or its https:// address.
err-certificate = The certificate could not be read: give an X.509 certificate (.cer or PEM) with an RSA key of at least 2048 bits or an elliptic-curve key.
err-certificate-weak = The certificate's RSA key is shorter than 2048 bits.
err-entity-id = The entity id is missing or too long.
err-saml-encryption-certificate = Encrypted assertions need the service's encryption certificate: in its metadata (a KeyDescriptor for encryption) or given separately.
err-saml-encryption-key = Assertions can only be encrypted to an RSA key of at least 2048 bits: give a certificate with one.
err-saml-endpoint-local = This is a production deployment: a service's addresses cannot be on this machine (localhost or a loopback address). Register test services with a test deployment.
err-saml-attribute-unknown = Unknown attribute; use FirstName, LastName, BirthDate, Gender, Language, IsResident, EmailAddress, MobilePhone or NameIdentifier.
err-saml-national-id-not-entitled = NameIdentifier (the national identifier) is released only to a service registered as entitled to it.
meta-title = Metadata and certificates
meta-lead = What e-services need to connect to npass: its addresses and the certificates its messages are signed with.
meta-saml = SAML 2.0
meta-entity-id = Entity id
meta-metadata = Metadata
meta-sso = Single sign-on (HTTP-POST, HTTP-Redirect)
meta-slo = Single logout (HTTP-POST, HTTP-Redirect)
meta-certificates = Signing certificates
meta-fingerprint = SHA-256 fingerprint { $sha256 }
meta-rotation = During a key change both certificates are listed: accept either until the old one disappears.
meta-oidc = OpenID Connect
saml-logout-title = Logging you out of the services
saml-logout-lead = You have logged out of npass. npass is now logging you out of the services you used in this session; each one shows below whether it confirmed.
saml-logout-frame = Logout from { $service }
saml-logout-hint = When every service shows its answer (or if one does not answer), press Continue.
saml-logout-send = Log out of { $service }
saml-logout-frame-done = Logged out of { $service }.
saml-logout-frame-failed = { $service } did not confirm the logout. Close your browser to be sure.
saml-logout-done-title = You have logged out
saml-logout-done-lead = You have logged out of npass and of these services:
saml-logout-confirmed = logged out
saml-logout-unconfirmed = did not confirm: close your browser to be sure
saml-no-logout-url = The service asked to log you out but has no logout address registered, so it could not be answered. Your npass session was not ended.
saml-logout-unknown = This answer to a logout is not one npass is waiting for (it came too late, or from another service).
err-saml-binding = Unknown binding; use post or redirect.

# E-service roles (design note 0019)
err-role-name = A role's name is 1 to 64 letters, digits, dots, underscores or hyphens, with no spaces.
err-role-self = You cannot grant a role to yourself: another administrator of the service must.
err-role-unknown = This service does not have that role.
err-role-until-past = The end date must be in the future.
history-admin-roles-declared = The roles of a service were set
history-admin-roles-retired = A role of a service was retired
history-roles-admin-added = You were made an administrator of a service
history-roles-admin-removed = You are no longer an administrator of a service
history-roles-granted = You were given a role at a service
history-roles-withdrawn = A role you had at a service was withdrawn

# Service administration (design note 0019)
account-service-admin-link = Service administration: roles at the services you administer
account-roles-title = Your roles at services
account-roles-lead = The administrators of these services gave you these roles. A service receives them when you log in to it.
service-admin-title = Service administration
service-admin-lead = The services you administer, their roles and who holds them. A role you grant reaches the service with the person's next login or token; one you withdraw is gone from it at once.
service-admin-stronger = To grant or withdraw roles, log in with your password and verification code (or a passkey or an e-signature) first.
service-admin-none = You do not administer any service.
service-admin-roles = Roles of this service:
service-admin-holders = Who holds them
service-admin-no-holders = Nobody holds a role yet.
service-admin-until-withdrawn = until withdrawn
service-admin-until = until { $date } inclusive
service-admin-withdraw = Withdraw { $role } from { $name }
service-admin-grant-title = Grant a role
service-admin-grant = Grant the role
field-role = Role
field-role-until = Last day (optional)
hint-role-until = Leave empty for a role that holds until you withdraw it.
notice-role-granted = The role was granted.
notice-role-withdrawn = The role was withdrawn.
err-role-until-date = Give the last day as a date, or leave it empty.
err-role-no-citizen = Nobody with this identification number has an npass account.
err-role-level = Log in with your verification code (or a passkey or an e-signature) to grant or withdraw roles.
service-admin-admins = Administrators
field-admin-national-id = The new administrator's national identification number
service-admin-add = Add the administrator
hint-service-admin-add = The national identification number of a person who will administer this service with you: they can grant and withdraw its roles.
notice-admin-added = The administrator was added.
err-role-admin-already = This person already administers the service.
service-admin-you = (you; another administrator or the operator can remove you)
service-admin-remove = Remove { $name } as administrator
notice-admin-removed = The administrator was removed.
err-role-admin-self = You cannot remove yourself: another administrator of the service, or the operator, must.

# Organisations (design note 0019)
err-org-idno = An IDNO is 13 digits whose last one checks the others; this one does not.
err-org-csv-line = Line { $n } of the file is not "IDNO,name" with a valid IDNO and a name: nothing was imported.
err-org-csv-file = The file could not be read.
history-admin-org-registered = An organisation was added to the register
history-admin-orgs-imported = Organisations were imported from the national register
history-orgs-admin-added = You were made an administrator of an organisation
history-orgs-admin-removed = You no longer administer an organisation
history-orgs-representative-named = You were named a representative of an organisation
history-orgs-representative-withdrawn = Your representation of an organisation was withdrawn
history-orgs-registered-from-certificate = An organisation entered the register from your organisation certificate
history-orgs-admin-from-certificate = Your organisation certificate made you an administrator of the organisation
account-orgs-link = Organisations: the ones you administer or represent
orgs-title = Organisations
orgs-lead = The organisations you administer or represent. A representative acts for the organisation with the roles given here, until the last day given or until withdrawn.
orgs-none = You do not administer or represent any organisation.
orgs-you-admin = You administer this organisation: you name and withdraw its representatives.
orgs-you-represent = You represent this organisation.
orgs-your-roles = Your roles: { $roles }.
orgs-members = Its administrators and representatives
orgs-kind-admin = administrator
orgs-kind-representative = representative
orgs-withdraw = Withdraw { $name }
orgs-name-title = Name a representative
orgs-name = Name the representative
field-org-roles = Roles in the organisation
hint-org-roles = Names separated by commas, for example: accountant, signatory.
hint-org-until = Leave empty for a representation that holds until you withdraw it.
notice-representative-named = The representative was named.
notice-representative-withdrawn = The representative was withdrawn.
err-org-self = You cannot name yourself: another administrator of the organisation must.
err-role-grant-form = Give a grant as NATIONAL_ID=ROLE.

# Acting for another: the login chooser and mandates (design note 0019)
history-admin-eservice-contexts = What an e-service accepts of logins for others was changed
history-mandates-offered = A mandate was given
history-mandates-accepted = A mandate was accepted
history-mandates-ended = A mandate was ended
history-mandates-used = Someone logged in for you with your mandate
account-mandates-link = Mandates: who acts for you, and for whom you act
context-title = Whom are you logging in for?
context-lead = { $service } accepts logins for an organisation you represent or for a person who gave you a mandate.
context-legend = I am logging in
context-myself = For myself
context-org-roles = For this organisation. Your roles: { $roles }
context-mandate-until = For this person, with their mandate (until { $date } inclusive)
context-requires-org = This e-service accepts only logins for an organisation, and you do not administer or represent any. Ask an administrator of your organisation to name you its representative.
context-requires-mandate = This e-service accepts only logins for another person, and nobody has given you a mandate for it.
context-continue = Continue
context-remembered = Your choice is remembered for this e-service; you can change it at your next login.
context-cancel = Cancel and go back to the e-service
context-refused = You cannot log in for this organisation or person: the representation or mandate is not yours, has ended, or this e-service does not accept it. Nothing was changed.
mandates-title = Mandates
mandates-lead = A mandate lets a person you trust log in for you at the e-services you choose, until the date you choose — at a counter too, without ever knowing your password. Either of you can end it at any time.
mandates-i-act-for = I act for
mandates-none-held = Nobody has given you a mandate.
mandates-offered-to-you = — waiting for you to accept
mandates-accept = Accept the mandate of { $name }
mandates-decline = Decline the mandate of { $name }
mandates-end = End the mandate with { $name }
mandates-acting-for-me = Acting for me
mandates-none-given = You have not given anybody a mandate.
mandates-waiting = — waiting for them to accept
mandates-give-title = Give a mandate
mandates-no-services = No e-service accepts logins for another person yet.
mandates-give-lead = The person you name accepts the mandate from their own account; from then on they can log in for you at the e-services you chose. You need a recent login with your verification code (or a passkey or an e-signature).
mandates-field-representative = The national identification number of the person who will act for you
mandates-field-services = The e-services where they may act for you
mandates-field-until = Last day
mandates-hint-until = At most a year from today.
mandates-give = Give the mandate
notice-mandate-offered = The mandate was given. It takes effect when the person accepts it.
notice-mandate-accepted = The mandate was accepted: you can now log in for this person at the e-services it names.
notice-mandate-ended = The mandate was ended.
err-mandate-until = Give the last day of the mandate as a date.
err-mandate-too-long = A mandate lasts at most a year.
err-mandate-service = Choose at least one of the e-services listed.
err-mandate-self = You cannot give a mandate to yourself.
err-mandate-level = Log in with your verification code (or a passkey or an e-signature) to give or accept a mandate.
err-context-require = An e-service can require only a context it accepts.
history-acting-org = for { $org }
history-acting-mandate = for another person, with their mandate
err-mandate-too-many = You have given { $n } mandates that still run: end one before giving another.
context-org = For this organisation.
