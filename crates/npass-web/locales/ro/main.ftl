# npass — română
service-name = npass
service-tagline = Serviciul de autentificare și control al accesului
skip-to-content = Salt la conținut
language-menu = Limba
logout = Ieșire
footer-help = Centrul de asistență
footer-phone = Telefon
footer-email = E-mail
request-id = Numărul cererii
link-home = Mergeți la pagina de start
link-login = Autentificare
link-register = Înregistrare
link-account = Mergeți la contul meu
cancel = Anulează
continue = Continuă
confirm = Confirmă
save = Salvează
mandatory-note = Câmpurile marcate cu * sunt obligatorii.

login-title = Autentificare
login-lead = Introduceți IDNP-ul, parola și, dacă ați activat autentificarea în doi pași, codul de verificare din aplicația „Authenticator”.
login-code-hint = Lăsați gol dacă nu ați activat autentificarea în doi pași. Aici puteți introduce și un cod de recuperare.
login-submit = Autentificare
login-no-code = Autentificare în doi pași: Nu am cod de verificare
login-register = Creați un cont

field-national-id = Numărul de identificare (IDNP)
field-password = Parola
field-password-confirm = Confirmare parolă
field-code = Codul de verificare
field-given-name = Prenume
field-family-name = Nume
field-birth-date = Data nașterii
field-email = E-mail
field-phone = Număr de telefon
field-current-code = Codul de verificare actual
field-enter-code = Introduceți codul de verificare

register-title = Înregistrare
register-lead = Creați-vă contul cu datele din actul de identitate. Vă vom trimite un e-mail pentru confirmarea adresei.
register-submit = Înregistrare
register-have-account = Am deja un cont
password-hint = Cel puțin { $n } caractere. Cel mai bine este o frază lungă pe care o puteți ține minte; sunt permise orice caractere.
register-sent-title = Verificați e-mailul
register-sent-text = Am trimis un link de confirmare la { $email }. Deschideți-l pentru a activa contul; este valabil 24 de ore.

confirm-title = Confirmați adresa de e-mail
confirm-lead = Apăsați butonul pentru a confirma adresa de e-mail și a activa contul.
confirm-submit = Confirm adresa de e-mail
confirm-failed-title = Linkul nu poate fi folosit
confirm-unknown = Acest link de confirmare nu este valid sau a fost deja folosit.
confirm-expired = Acest link de confirmare a expirat. Cereți unul nou: va fi trimis la adresa cu care v-ați înregistrat.

notice-logged-out = V-ați deconectat.
notice-email-confirmed = Adresa de e-mail este confirmată. Acum vă puteți autentifica.
notice-reauth = Pentru siguranța dumneavoastră, autentificați-vă din nou înainte de a schimba modul de autentificare.
notice-reauth-service = Serviciul electronic vă cere să vă autentificați din nou înainte de a continua.
notice-login-for-two-step = Autentificați-vă pentru a vedea sau modifica autentificarea în doi pași.
notice-lang-unknown = Această limbă nu este disponibilă. Pagina este afișată în altă limbă.
notice-two-step-removed = Autentificarea în doi pași este dezactivată.

account-title = Contul meu
account-profile = Date personale
account-assurance = Nivelul de verificare a identității
account-session-level = Nivelul de asigurare al acestei sesiuni

two-step-title = Autentificare în doi pași
two-step-active-since = Autentificarea în doi pași este activă din { $date }.
recovery-left = Coduri de recuperare nefolosite: { $n }
two-step-manage = Gestionați autentificarea în doi pași
two-step-off = Autentificarea în doi pași nu este activă. Activați-o pentru a accesa serviciile care cer un nivel mai înalt de asigurare.
two-step-set = Setează codul de verificare
two-step-lead = Autentificarea în doi pași presupune utilizarea unei parole pe care o setați și a codurilor de verificare din aplicația instalată în telefonul mobil.
two-step-steps = Pașii pentru activarea autentificării în doi pași
two-step-step-1 = Selectați „Setează codul de verificare”.
two-step-step-2 = Setați parola, dacă nu aveți una.
two-step-step-3 = Instalați orice aplicație „Authenticator” în telefonul mobil.
two-step-step-4 = Scanați codul QR și introduceți codul afișat de aplicație.
two-step-replace = Înlocuiți aplicația de autentificare
two-step-replace-text = Folosiți aceasta când treceți la un telefon nou. Aplicația actuală funcționează până când cea nouă este confirmată.
two-step-remove = Dezactivați autentificarea în doi pași
two-step-remove-text = Contul va atinge apoi doar nivelul de asigurare scăzut.
recovery-new-title = Coduri de recuperare noi
recovery-new-text = Codurile de recuperare pe care le aveți acum nu vor mai funcționa.
recovery-new = Codurile de recuperare noi sunt gata.

two-step-password-title = Setați parola
two-step-password-note = Notă: Autentificarea cu ajutorul codului de verificare necesită setarea unei parole.
two-step-device-title = Instalați aplicația Authenticator
two-step-device-question = Ce tip de dispozitiv aveți?
two-step-device-install = Accesați magazinul de aplicații și instalați orice aplicație „Authenticator” sau accesați unul din link-urile de mai jos.
two-step-scan-title = Adăugați contul npass în aplicația Authenticator
two-step-scan-lead = Scanați codul QR cu aplicația „Authenticator”, apoi introduceți codul de verificare afișat de aplicație.
two-step-qr-alt = Cod QR pentru adăugarea contului npass în aplicația Authenticator
two-step-cant-scan = Nu puteți scana codul QR?
two-step-key-text = Introduceți manual această cheie în aplicație (tip: bazat pe timp):
two-step-done-title = Autentificarea în doi pași este activă
two-step-done = Codul de verificare a fost adăugat cu succes.
recovery-codes-title = Coduri de recuperare
recovery-codes-text = Păstrați aceste coduri într-un loc sigur. Fiecare poate fi folosit o singură dată în locul codului de verificare, dacă pierdeți telefonul. Sunt afișate doar acum.

history-title = Activitatea recentă
history-empty = Nicio activitate încă.
history-when = Când
history-what = Ce
history-from = De unde
history-login-success = Autentificare reușită
history-login-failure = Încercare de autentificare eșuată
history-login-locked = Autentificare blocată după prea multe încercări
history-session-logout = Deconectare
history-account-register = Cont înregistrat
history-account-email-confirmed = Adresa de e-mail confirmată
history-account-register-attempt = Încercare de înregistrare cu numărul dvs. de identificare
history-two-step-activated = Autentificarea în doi pași activată
history-two-step-removed = Autentificarea în doi pași dezactivată
history-two-step-enrol-failure = Cod greșit la setarea autentificării în doi pași
history-two-step-code-failure = Cod de verificare greșit
history-recovery-used = Cod de recuperare folosit
history-recovery-regenerated = Coduri de recuperare noi
history-password-set = Parola setată
history-admin-account-added = Cont creat de un operator
history-admin-account-locked = Cont blocat de un operator
history-admin-account-unlocked = Cont deblocat de un operator
history-by-operator = de către centrul de asistență

level-low = scăzut
level-substantial = substanțial
level-high = înalt
assurance-self-asserted = declarată de titular
assurance-verified-remote = verificată la distanță
assurance-verified = verificată în persoană sau prin semnătură electronică

error-title = A apărut o problemă
error-method = Această adresă nu acceptă acest tip de cerere.
error-csrf = Formularul a expirat sau nu provine de pe acest site. Reveniți, reîncărcați pagina și încercați din nou.
error-form = Formularul nu a putut fi citit. Reveniți și încercați din nou.
error-too-large = Datele trimise sunt prea mari.
error-not-found = Pagina nu există.
error-conflict = Acest lucru a fost deja făcut.
error-login-needed = Vă rugăm să vă autentificați.
error-forbidden = Nu aveți dreptul să faceți acest lucru.
error-rate-limited = Prea multe încercări. Așteptați puțin și încercați din nou.
error-expired = Termenul a expirat. Începeți din nou.
error-unavailable = Serviciul este temporar indisponibil. Nimic nu a fost modificat. Vă rugăm să încercați din nou peste câteva minute.
error-internal = A apărut o eroare neașteptată. Nimic nu a fost modificat. Vă rugăm să încercați din nou.

err-nid-empty = Introduceți numărul de identificare.
err-nid-characters = Numărul de identificare conține caractere nepermise.
err-nid-length = Numărul de identificare are o lungime greșită.
err-nid-checksum = Numărul de identificare nu este valid: cifra de control nu corespunde. Verificați dacă ați greșit o cifră.
err-nid-date = Data nașterii din numărul de identificare nu există.
err-nid-country = Codul țării emitente a pașaportului nu este cunoscut.
err-nid-not-accepted = Acest tip de număr de identificare nu este acceptat aici.
err-required = Acest câmp este obligatoriu.
err-name-characters = Folosiți doar litere, spații, apostrofuri și cratime (cel mult 100 de caractere).
err-date-format = Introduceți o dată reală în forma AAAA-LL-ZZ, de exemplu 1990-05-31.
err-date-range = Data nașterii trebuie să fie în trecut.
err-email-format = Introduceți o adresă de e-mail de forma nume@exemplu.md.
err-phone-format = Introduceți un număr de telefon existent, de exemplu 069 123 456 sau +373 69 123 456.
err-password-empty = Introduceți o parolă.
err-password-too-long = Parola este prea lungă: cel mult { $n } caractere.
err-password-too-short = Parola este prea scurtă: folosiți cel puțin { $n } caractere.
err-password-common = Această parolă este printre cele mai folosite și ușor de ghicit. Alegeți alta.
err-password-context = Parola este formată din numele dumneavoastră, numărul de identificare sau numele serviciului. Alegeți alta.
err-password-weak = Această parolă este ușor de ghicit. Câteva cuvinte neobișnuite, care merg împreună doar pentru dvs., fac o parolă puternică.
err-password-weak-repeat = Această parolă este ușor de ghicit: se repetă (de exemplu „aaaa” sau „abcabc”). Câteva cuvinte neobișnuite fac o parolă puternică.
err-password-weak-sequence = Această parolă este ușor de ghicit: este mai ales o succesiune (de exemplu „1234” sau „abcd”). Câteva cuvinte neobișnuite fac o parolă puternică.
err-password-weak-keyboard = Această parolă este ușor de ghicit: urmează tastele unei tastaturi (de exemplu „qwerty” sau „asdfgh”). Câteva cuvinte neobișnuite fac o parolă puternică.
err-password-weak-date = Această parolă este ușor de ghicit: este mai ales o dată sau un an. Câteva cuvinte neobișnuite fac o parolă puternică.
err-password-weak-words = Această parolă este ușor de ghicit: este mai ales o parolă, un cuvânt sau un nume des folosit, poate cu cifre adăugate. Câteva cuvinte neobișnuite fac o parolă puternică.
err-password-mismatch = Cele două parole nu coincid.
err-account-exists = Există deja un cont pentru acest număr de identificare. Autentificați-vă sau restabiliți parola.
err-code-wrong = Codul de verificare nu este corect. Introduceți codul actual din aplicație.
err-rate-limited = { $seconds ->
        [one] Prea multe încercări. Încercați din nou peste { $seconds } secundă.
        [few] Prea multe încercări. Încercați din nou peste { $seconds } secunde.
       *[other] Prea multe încercări. Încercați din nou peste { $seconds } de secunde.
    }
err-locked = Autentificarea este blocată după prea multe încercări eșuate. V-am trimis un e-mail. Contactați centrul de asistență pentru deblocare.
err-expired = Acest pas a expirat. Începeți din nou.
err-login-failed = Numărul de identificare, parola sau codul de verificare este greșit.
err-email-not-confirmed = Confirmați mai întâi adresa de e-mail: deschideți linkul trimis. Nu ați primit e-mailul sau linkul a expirat? Cereți unul nou: „Retrimiteți linkul de confirmare”.
err-account-locked = Acest cont este blocat. Contactați centrul de asistență.
err-second-factor-required = Parola singură nu este suficientă pentru autentificare. Introduceți și codul de verificare; dacă nu l-ați setat încă, autentificați-vă cu semnătura electronică și alegeți „Setează codul de verificare”.

mail-footer = Acest mesaj a fost trimis de npass. Dacă nu ați făcut dumneavoastră acest lucru, contactați imediat centrul de asistență.
mail-confirm-email-subject = Confirmați adresa de e-mail
mail-confirm-email-body = Bună ziua,
    
    pentru a activa contul npass, deschideți acest link în 24 de ore:
    { $link }
mail-locked-subject = Autentificarea în contul dumneavoastră este blocată
mail-locked-body = Au fost prea multe încercări eșuate de autentificare în contul npass, de aceea autentificarea este acum blocată. Contactați centrul de asistență pentru deblocare.
mail-register-attempt-body = Cineva a încercat să deschidă un cont npass nou cu numărul dvs. de identificare. Aveți deja un cont, așa că nu s-a creat și nu s-a schimbat nimic. Dacă ați fost dvs., autentificați-vă cu parola sau cu semnătura electronică; dacă ați uitat parola, contactați centrul de asistență. Dacă nu ați fost dvs., nu trebuie să faceți nimic.
mail-register-attempt-subject = Cineva a încercat să se înregistreze cu numărul dvs. de identificare
mail-two-step-activated-subject = Autentificarea în doi pași a fost activată
mail-two-step-activated-body = Autentificarea în doi pași a fost activată pentru contul npass, cu o aplicație Authenticator nouă.
mail-two-step-removed-subject = Autentificarea în doi pași a fost dezactivată
mail-two-step-removed-body = Autentificarea în doi pași a fost dezactivată pentru contul npass.
mail-recovery-used-subject = A fost folosit un cod de recuperare
mail-recovery-used-body = Un cod de recuperare a fost folosit pentru autentificarea în contul npass. Coduri de recuperare rămase: { $left }.
mail-recovery-regenerated-subject = Coduri de recuperare noi
mail-recovery-regenerated-body = Au fost create coduri de recuperare noi pentru contul npass; cele vechi nu mai funcționează.
mail-operator-locked-subject = Contul a fost blocat
mail-operator-locked-body = Contul npass a fost blocat de centrul de asistență.
mail-operator-unlocked-subject = Contul a fost deblocat
mail-operator-unlocked-body = Contul npass a fost deblocat de centrul de asistență. Vă puteți autentifica din nou.

oidc-unknown-client = Serviciul care v-a trimis aici nu este înregistrat în npass sau este dezactivat. Nu i-a fost trimis nimic.
oidc-bad-redirect = Serviciul care v-a trimis aici a indicat o adresă de întoarcere neînregistrată. Pentru siguranța dumneavoastră nu ați fost trimis înapoi.
oidc-repeated-parameter = Cererea serviciului nu este validă: un parametru este repetat.
consent-title = Transmiterea datelor
consent-lead = { $service } cere să vă autentifice prin npass și să primească:
consent-data = Datele care vor fi transmise
consent-scope-openid = Faptul că v-ați autentificat (un identificator folosit doar pentru acest serviciu)
consent-scope-profile = Numele și data nașterii
consent-scope-email = Adresa de e-mail
consent-scope-phone = Numărul de telefon
consent-scope-national-id = Numărul de identificare (IDNP)
consent-scope-organization = Când vă autentificați cu certificatul unei organizații: numărul de identificare (IDNO) și denumirea organizației
consent-scope-roles = Rolurile dvs. în acest serviciu (acordate de administratorii lui)
consent-level = Nivelul de asigurare al autentificării: { $level }
consent-allow = Permit
consent-deny = Nu permit
consent-revoke-note = npass ține minte răspunsul dumneavoastră. Fiecare transmitere de date este înregistrată în activitatea contului.
history-oidc-authorized = Autentificare într-un serviciu
history-oidc-consent = Acord de transmitere a datelor către un serviciu
history-oidc-tokens-issued = Date transmise unui serviciu
history-admin-eservice-added = Serviciu electronic înregistrat
history-admin-eservice-disabled = Serviciu electronic dezactivat
history-admin-eservice-enabled = Serviciu electronic activat
history-admin-eservice-secret-rotated = Secretul serviciului electronic înlocuit
history-admin-signing-key-added = Cheie de semnare adăugată
err-redirect-uri = Fiecare adresă de întoarcere trebuie să fie o adresă https:// absolută (http:// doar pentru 127.0.0.1 sau localhost), fără fragment.
err-auth-method = Metodă necunoscută de autentificare a clientului; folosiți client_secret_basic sau private_key_jwt.
err-scope-unknown = Domeniu necunoscut; folosiți openid, profile, email, phone sau national_id.
err-level-unknown = Nivel necunoscut; folosiți low, substantial sau high.
history-oidc-revoked = Accesul unui serviciu a fost retras
end-session-title = Ieșiți din npass?
end-session-lead = Serviciul folosit cere ca npass să vă deconecteze. Veți ieși din npass și din celelalte servicii în care ați intrat prin el.
end-session-stay = Rămân conectat
oidc-bad-hint = Cererea de deconectare a serviciului nu este validă.
services-title = Servicii conectate
services-empty = Nu ați transmis încă date niciunui serviciu.
services-since = din { $date }
services-withdraw = Nu mai transmite date către { $service }
notice-service-withdrawn = Serviciul nu mai primește datele dumneavoastră; accesul lui a fost retras.
history-oidc-consent-withdrawn = Oprirea transmiterii datelor către un serviciu
oidc-bad-request-uri = Cererea serviciului a expirat sau a fost deja folosită. Reveniți la serviciu și începeți din nou.
history-admin-signing-key-retired = Cheie de semnare înlocuită
err-jwks = Indicați un fișier JSON Web Key Set cu cheile publice (fără părți private) pentru private_key_jwt.
err-id-token-alg = Algoritmul tokenului de identitate trebuie să fie ES256 sau RS256.
err-jwks-uri = Adresa JWKS trebuie să fie o adresă https:// absolută (http:// doar pentru 127.0.0.1 sau localhost).

## Autentificare cu semnătura electronică
esign-login-title = Autentificare cu semnătura electronică
esign-login-lead = Folosiți certificatul calificat de pe card, de pe token-ul USB sau din aplicația de semnare. Vă autentifică la nivelul înalt; prima autentificare vă creează contul.
esign-login-submit = Autentificare cu semnătura electronică
esign-card-submit = Folosiți cardul sau token-ul din acest browser
esign-wait-title = Semnați cu semnătura electronică
esign-wait-lead = Semnați această cerere de autentificare cu aplicația de semnare. Pagina continuă singură după ce sosește semnătura (în cel mult 2 minute).
esign-wait-challenge = Cererea de autentificare de semnat:
esign-wait-command = Cu aplicația npass-sign și fișierul certificatului:
esign-wait-file = certificat.p12
esign-wait-open-app = Deschideți aplicația de semnare
esign-wait-continue = Am semnat — continuă
esign-wait-qr-alt = Codul QR al cererii de autentificare, pentru o aplicație de semnare de pe telefon
esign-wait-status = Se așteaptă semnătura…
esign-back-to-login = Înapoi la celelalte metode de autentificare
esign-refused-title = Semnătura electronică nu a fost acceptată
esign-other-methods = Vă puteți autentifica în continuare cu parola și codul de verificare.
esign-register-title = Înregistrare
esign-register-lead = Semnătura electronică v-a identificat. Completați datele obligatorii pentru a vă crea contul; numele și numărul de identificare sunt preluate din certificat.
esign-register-submit = Creează contul
err-esign-not-configured = Autentificarea cu semnătura electronică nu este disponibilă aici.
err-esign-no-certificate = Browserul nu a prezentat niciun certificat. Verificați dacă cardul sau token-ul este conectat și alegeți certificatul atunci când browserul îl cere.
err-esign-malformed = Semnătura sau certificatul nu au putut fi citite.
err-esign-untrusted = Certificatul nu a fost emis de un prestator de servicii de certificare în care acest serviciu are încredere.
err-esign-expired = Certificatul a expirat.
err-esign-not-yet-valid = Certificatul nu este încă valabil.
err-esign-revoked = Certificatul a fost revocat.
err-esign-revocation-unknown = Nu am putut confirma că certificatul nu a fost revocat, de aceea nu poate fi folosit acum. Încercați mai târziu.
err-esign-wrong-usage = Acest certificat nu poate fi folosit pentru autentificare (utilizarea cheii nu o permite).
err-esign-policy = Acest tip de certificat nu este acceptat pentru autentificare.
err-esign-no-identity = Certificatul nu conține un număr de identificare pe care acest serviciu îl recunoaște.
err-esign-bad-signature = Semnătura nu corespunde certificatului.
err-esign-challenge-unknown = Această cerere de autentificare nu este cunoscută aici sau aparține altui browser.
err-esign-challenge-expired = Cererea de autentificare a expirat. Reîncepeți de la pagina de autentificare.
err-esign-challenge-used = Această cerere de autentificare a primit deja un răspuns.
history-esign-verified = Semnătură electronică verificată
history-esign-refused = Semnătură electronică respinsă
history-esign-answer-refused = Un răspuns cu semnătură electronică a fost respins
history-account-register-esign = Cont creat cu semnătura electronică
notice-esign-for-two-step = Pentru a activa autentificarea în doi pași, este necesar să vă autentificați cu tipul de semnătură electronică pe care îl dețineți.
login-forgot-password = Ați uitat parola?
notice-password-changed = Parola nouă a fost salvată. Celelalte sesiuni au fost închise.
history-password-reset = Parolă resetată prin linkul trimis pe e-mail

error-summary-title = Există o problemă
field-current-password = Parola curentă
field-new-password = Parola nouă
link-back-account = Înapoi la contul meu
link-back-login = Înapoi la pagina de autentificare
password-change-title = Schimbați parola
password-change-note = Celelalte sesiuni vor fi închise, iar serviciile în care v-ați autentificat vă vor cere să vă autentificați din nou.
password-reset-title = Alegeți o parolă nouă
password-reset-note = După salvare, autentificați-vă cu parola nouă. Dacă autentificarea în doi pași este activă, veți avea nevoie în continuare de codul din aplicația Authenticator.
err-current-password-wrong = Parola curentă nu este corectă.
forgot-title = Ați uitat parola?
forgot-lead = Introduceți numărul de identificare de stat (IDNP). Dacă aparține unui cont, vom trimite la adresa de e-mail a contului un link pentru alegerea unei parole noi.
forgot-submit = Trimiteți-mi linkul
forgot-esign = Aveți semnătură electronică?
forgot-esign-link = Autentificați-vă cu ea și setați o parolă nouă.
forgot-no-email = Nu mai aveți acces la acea adresă de e-mail? Contactați centrul de asistență.
forgot-sent-title = Verificați e-mailul
forgot-sent = Dacă acest număr de identificare aparține unui cont cu adresa de e-mail confirmată, am trimis un link la acea adresă. Linkul funcționează { $minutes } de minute și o singură dată.
forgot-sent-none = Nu ați primit e-mailul? Verificați dosarul de spam. Puteți cere un link nou peste câteva minute.
reset-gone-title = Acest link nu mai funcționează
reset-gone = Linkul pentru alegerea unei parole noi a fost deja folosit, a expirat sau nu este complet. Cereți unul nou.
reset-gone-again = Cereți un link nou
notice-password-reset-login = Parola nouă a fost salvată și toate sesiunile au fost închise. Autentificați-vă cu parola nouă.
account-security = Parola și sesiunile
account-password-link = Schimbați parola
account-sessions-link = Vedeți unde sunteți autentificat
sessions-title = Sesiuni și dispozitive
sessions-lead = Aceste browsere sunt acum autentificate în contul dumneavoastră. Dacă nu recunoașteți unul, închideți-i sesiunea și schimbați parola.
sessions-this-browser = acest browser
sessions-from = De la adresa
sessions-started = Autentificat
sessions-last-seen = Ultima activitate
sessions-level = Nivelul de asigurare
sessions-end = Închideți sesiunea { $device }
sessions-end-others = Închideți toate celelalte sesiuni
notice-session-ended = Sesiunea a fost închisă.
notice-sessions-ended = Toate celelalte sesiuni au fost închise.
notice-session-gone = Sesiunea se încheiase deja.
device-on = { $browser } pe { $system }
device-unknown = Browser necunoscut
history-password-changed = Parolă schimbată
history-password-change-failure = Parolă curentă greșită la schimbarea parolei
history-password-reset-requested = A fost trimis pe e-mail un link pentru resetarea parolei
history-password-reset-not-sent = S-a cerut resetarea parolei; nu a fost trimis un link nou
history-session-ended-by-citizen = O sesiune a fost închisă din Contul meu
mail-password-reset-link-subject = Alegeți o parolă nouă npass
mail-password-reset-link-body = Bună ziua,
    
    cineva a cerut resetarea parolei contului dumneavoastră npass. Pentru a alege o parolă nouă, deschideți acest link în { $minutes } de minute (funcționează o singură dată):
    { $link }
    
    Dacă nu ați fost dumneavoastră, ignorați acest mesaj: parola rămâne neschimbată.
mail-password-changed-subject = Parola npass a fost schimbată
mail-password-changed-body = Parola contului dumneavoastră npass a fost schimbată, iar celelalte sesiuni au fost închise.
    
    Dacă nu ați fost dumneavoastră, cineva vă poate cunoaște parola sau are acces la e-mailul dumneavoastră: contactați imediat centrul de asistență și verificați sesiunile în Contul meu.
two-step-manage-lead = Fiecare dintre aceste modificări necesită codul curent din aplicația Authenticator.
err-code-used = Acest cod a fost deja folosit. Așteptați următorul cod din aplicație (apare unul nou la fiecare 30 de secunde) și introduceți-l.
hint-phone = Opțional. De exemplu 069 123 456 sau, cu prefixul țării, +373 69 123 456.
hint-birth-date = Ca în actul de identitate.
released-subject = un identificator folosit doar pentru acel serviciu
released-assurance = cât de sigur este npass de identitatea dumneavoastră
released-name = numele dumneavoastră
released-birth-date = data nașterii
released-language = limba preferată
released-email = adresa de e-mail
released-phone = numărul de telefon
released-national-id = numărul de identificare de stat
released-roles = rolurile dvs. în acel serviciu
released-organization = organizația numită în certificatul dvs.
account-levels-what = Ce înseamnă acestea?
account-assurance-help = Nivelul de asigurare a identității arată cât de sigur este npass că acest cont aparține persoanei pe care o indică numărul de identificare: „declarată de titular” când v-ați înregistrat singur, „verificată” după o semnătură electronică sau o verificare în persoană.
account-level-help = Nivelul acestei sesiuni arată cât de ferm ați dovedit că sunteți dumneavoastră la autentificare: „scăzut” doar cu parola, „substanțial” cu parola și codul de verificare, „înalt” cu semnătura electronică. Unele servicii cer un nivel mai înalt; atunci npass vă cere să vă autentificați în acel mod.
footer-links = Despre acest serviciu
footer-help-link = Ajutor și întrebări frecvente
footer-terms = Termeni și condiții
footer-privacy = Politica de confidențialitate
footer-accessibility = Declarația de accesibilitate
page-help-title = Ajutor și întrebări frecvente
page-terms-title = Termeni și condiții
page-privacy-title = Politica de confidențialitate
page-accessibility-title = Declarația de accesibilitate
page-help-body =
    Cum mă autentific? Introduceți numărul de identificare de stat și parola. Dacă ați activat autentificarea în doi pași, introduceți și codul curent din aplicația Authenticator. Dacă aveți semnătură electronică, vă puteți autentifica cu ea.
    
    Am uitat parola. Pe pagina de autentificare alegeți „Ați uitat parola?”: vă trimitem un link la adresa de e-mail a contului. Dacă autentificarea în doi pași este activă, după alegerea parolei noi veți avea nevoie în continuare de codul din aplicație.
    
    Am pierdut telefonul cu aplicația Authenticator. Autentificați-vă cu unul dintre codurile de recuperare păstrate la activarea autentificării în doi pași, apoi setați din nou codul de verificare. Fără coduri de recuperare, autentificați-vă cu semnătura electronică sau contactați centrul de asistență.
    
    Cineva îmi poate folosi contul. Schimbați parola în Contul meu, apoi deschideți „Vedeți unde sunteți autentificat” și închideți toate celelalte sesiuni.
    
    Pentru orice altă întrebare, contactați centrul de asistență indicat în partea de jos a fiecărei pagini.
page-terms-body =
    { $service } vă permite să vă dovediți identitatea în fața serviciilor electronice publice și private. Contul este personal: nu comunicați nimănui parola, codurile de verificare sau codurile de recuperare, nici persoanelor care spun că lucrează la centrul de asistență.
    
    Un serviciu electronic primește datele dumneavoastră doar după ce sunteți de acord și doar datele la care are dreptul. Fiecare autentificare și fiecare transmitere de date este înregistrată în istoricul contului.
    
    Puteți opri oricând transmiterea datelor către un serviciu în Contul meu. Folosirea identității altei persoane este o infracțiune.
page-privacy-body =
    { $service } păstrează numărul de identificare de stat, numele, data nașterii, adresa de e-mail, numărul de telefon și limba; parola doar ca amprentă ireversibilă; cheia aplicației Authenticator criptată; istoricul autentificărilor și al datelor transmise fiecărui serviciu electronic.
    
    Serviciile electronice primesc doar ce ați acceptat să transmiteți. Fiecare serviciu primește un identificator propriu pentru dumneavoastră, astfel încât serviciile nu vă pot lega conturile, cu excepția celor care au dreptul legal la numărul de identificare de stat.
    
    Vă puteți vedea datele, sesiunile și ce s-a transmis în Contul meu. Emailurile sunt trimise doar despre contul și securitatea lui. Istoricul autentificărilor este păstrat atât cât cere legea pentru securitatea serviciului.
page-accessibility-body =
    { $service } este realizat pentru a respecta Ghidul de accesibilitate a conținutului web (WCAG) 2.1, nivelul AA: fiecare pagină funcționează cu tastatura și cu cititoare de ecran, fără JavaScript, pe telefoane late de 320 de pixeli, în română, rusă și engleză.
    
    Fiecare versiune este verificată automat într-un browser real cu verificările de accesibilitate axe-core. Dacă ceva nu funcționează pentru dumneavoastră, spuneți centrului de asistență pagina și ce s-a întâmplat: vă vom răspunde și vom corecta.
resend-title = Retrimiteți linkul de confirmare
resend-lead = Introduceți numărul de identificare de stat cu care v-ați înregistrat. Dacă înregistrarea așteaptă confirmarea, vom trimite un link nou la adresa de e-mail indicată atunci.
resend-submit = Retrimiteți linkul
resend-note = { $days ->
        [one] O înregistrare neconfirmată într-o zi este ștearsă; apoi vă puteți înregistra din nou.
        [few] O înregistrare neconfirmată în { $days } zile este ștearsă; apoi vă puteți înregistra din nou.
       *[other] O înregistrare neconfirmată în { $days } de zile este ștearsă; apoi vă puteți înregistra din nou.
    }
resend-sent = Dacă acest număr de identificare are o înregistrare care așteaptă confirmarea, am trimis un link nou la adresa de e-mail indicată la înregistrare.
register-sent-none = Nu ați primit e-mailul? Verificați dosarul de spam sau cereți din nou linkul.
history-account-register-replacement = Cineva s-a înregistrat din nou cu numărul dumneavoastră de identificare înainte de confirmare
history-account-confirmation-resent = Linkul de confirmare a fost retrimis
history-account-confirmation-not-resent = S-a cerut un link de confirmare nou; nu a fost trimis niciunul
stepup-title = Este necesară o autentificare mai puternică
stepup-lead = { $service } cere nivelul de asigurare „{ $needed }”; sunteți autentificat la nivelul „{ $have }”.
stepup-why-substantial = Acest nivel cere doi pași: parola și codul curent din aplicația Authenticator, sau o semnătură electronică.
stepup-why-high = Acest nivel cere o semnătură electronică.
stepup-with-code = Autentificați-vă cu parola și codul de verificare
stepup-no-code = Nu am cod de verificare
stepup-no-code-text = Setați acum codul de verificare (durează câteva minute și aveți nevoie de telefon); apoi autentificați-vă cu el și veți continua către serviciu.
stepup-esign-text = Semnătura electronică atinge orice nivel.
stepup-none-here = Acest nivel nu poate fi atins cu metodele de autentificare oferite aici. Vă puteți întoarce la serviciu.
stepup-decline = Înapoi la { $service } fără autentificare
two-step-done-continue = Autentificați-vă cu codul și continuați
two-step-done-continue-text = Serviciul care v-a trimis aici are nevoie de acest cod nou: autentificați-vă cu parola și codul afișat acum în aplicație și veți continua către el.
two-step-open-app = Îl setați pe acest telefon? Deschideți cheia în aplicația Authenticator
profile-title = Date de contact și limbă
profile-contact = Telefon și limbă
field-language = Limba e-mailurilor și a paginilor
hint-language = Vă scriem în această limbă.
profile-email = Adresa de e-mail
profile-email-now = Adresa dumneavoastră de e-mail acum: { $email }
field-new-email = Adresa de e-mail nouă
hint-new-email = Trimitem un link la adresa nouă; ea se schimbă după ce deschideți linkul. Adresa actuală este anunțată.
profile-email-submit = Trimiteți linkul la adresa nouă
err-email-same = Aceasta este deja adresa dumneavoastră de e-mail.
email-change-sent = Am trimis un link la { $email }. Deschideți-l pentru a muta contul la acea adresă; până atunci nu se schimbă nimic.
email-change-gone = Acest link de confirmare a adresei noi a fost deja folosit, a expirat sau nu este complet. Cereți unul nou în Contul meu.
email-change-title = Confirmați adresa de e-mail nouă
email-change-lead = Contul dumneavoastră npass va folosi de acum adresa { $email }.
email-change-submit = Folosiți această adresă
notice-contact-changed = Datele de contact au fost salvate.
notice-email-changed = Adresa de e-mail nouă a fost salvată.
notice-account-deleted = Contul a fost șters. Vă puteți înregistra din nou oricând.
account-profile-link = Schimbați telefonul, adresa de e-mail sau limba
account-lost-link = Ați pierdut telefonul cu aplicația Authenticator?
account-delete-link = Ștergeți contul
delete-title = Ștergeți contul
delete-lead = Ștergerea contului nu poate fi anulată. Iată ce se întâmplă:
delete-what-1 = Sunteți deconectat peste tot, iar fiecare serviciu electronic în care v-ați autentificat este anunțat și pierde accesul la datele dumneavoastră.
delete-what-2 = Numele, data nașterii, adresa de e-mail, numărul de telefon, parola, codul de verificare și codurile de recuperare sunt șterse imediat.
delete-what-3 = Istoricul autentificărilor și al datelor transmise păstrează, fără datele dumneavoastră, ce cere legea, atât cât cere legea.
delete-what-4 = Numărul de identificare devine liber: vă puteți înregistra din nou oricând.
delete-submit = Ștergeți contul meu
lost-title = Ați pierdut telefonul cu aplicația Authenticator?
lost-recovery = Autentificați-vă cu numărul de identificare, parola și unul dintre codurile de recuperare păstrate la activarea autentificării în doi pași: introduceți-l în câmpul pentru codul de verificare. Apoi, în Contul meu, înlocuiți autentificatorul cu aplicația de pe telefonul nou.
lost-esign = Nu aveți coduri de recuperare? Autentificați-vă cu semnătura electronică, apoi setați din nou codul de verificare.
lost-help = Altfel, contactați centrul de asistență: vă vor verifica identitatea și vă vor ajuta să setați din nou codul de verificare.
lost-after = Orice modificare a autentificării în doi pași vă este comunicată prin e-mail.
login-lost-phone = Ați pierdut telefonul cu codurile de verificare?
history-account-contact-changed = Date de contact schimbate
history-account-email-change-requested = S-a cerut schimbarea adresei de e-mail
history-account-email-changed = Adresa de e-mail schimbată
history-account-deleted = Cont șters
mail-email-change-confirm-subject = Confirmați adresa de e-mail nouă pentru npass
mail-email-change-confirm-body = Bună ziua,
    
    pentru a folosi această adresă pentru contul npass, deschideți acest link în 24 de ore:
    { $link }
    
    Dacă nu ați cerut acest lucru, ignorați mesajul.
mail-email-change-requested-subject = S-a cerut o adresă de e-mail nouă pentru contul npass
mail-email-change-requested-body = Cineva autentificat în contul dumneavoastră npass a cerut mutarea lui la { $email }. Nu se schimbă nimic până când acea adresă nu confirmă.
    
    Dacă nu ați fost dumneavoastră, schimbați imediat parola și contactați centrul de asistență.
mail-email-changed-subject = Adresa de e-mail npass a fost schimbată
mail-email-changed-body = Contul dumneavoastră npass folosește acum adresa { $email }; această adresă nu va mai primi mesaje despre el.
    
    Dacă nu ați fost dumneavoastră, contactați imediat centrul de asistență.
mail-account-deleted-subject = Contul npass a fost șters
mail-account-deleted-body = Contul dumneavoastră npass a fost șters la cererea dumneavoastră, iar fiecare serviciu electronic a pierdut accesul la datele dumneavoastră. Vă puteți înregistra din nou oricând.
    
    Dacă nu ați fost dumneavoastră, contactați imediat centrul de asistență.
show-password = Arată parola
hide-password = Ascunde parola
history-esign-certificate-new = Autentificare cu un certificat de semnătură electronică folosit pentru prima dată
mail-certificate-new-subject = O semnătură electronică nouă a fost folosită pentru contul npass
mail-certificate-new-body = Cineva s-a autentificat în contul dumneavoastră npass cu un certificat de semnătură electronică nefolosit anterior: emis de { $issuer }, număr de serie { $serial }.
    
    Dacă ați fost dumneavoastră (un card, un token sau o semnătură mobilă nouă), nu trebuie să faceți nimic. Dacă nu, contactați imediat centrul de asistență și cereți emitentului revocarea certificatului.
services-last-release = Ultima transmitere la { $date }: { $data }.
footer-integration = Procedura de integrare
page-integration-title = Procedura de integrare pentru serviciile electronice
page-integration-body =
    Un serviciu electronic își autentifică utilizatorii cu { $service } prin OpenID Connect: fluxul cu cod de autorizare și PKCE, jetoane ID semnate, identificatori diferiți pentru fiecare serviciu, deconectare prin canalul din spate. Furnizorul se descrie la { $issuer }/.well-known/openid-configuration.
    
    Pentru integrare, cereți operatorului să vă înregistreze serviciul: numele, adresele de întoarcere, nivelul minim de asigurare acceptat și datele de care are nevoie. Primiți un identificator de client și un secret (sau vă înregistrați cheile publice). Încercați serviciul într-o instalare de test înainte de producție.
    
    Ghidul de integrare livrat cu { $service } (docs/integration.md) descrie fiecare parametru, atribut și eroare.
footer-help-none = Răspunsurile la întrebările frecvente sunt în paginile de ajutor de mai jos.

## Chei de acces
passkeys-title = Chei de acces
passkeys-account-lead = O cheie de acces vă permite să vă autentificați cu blocarea ecranului telefonului sau a calculatorului, ori cu o cheie de securitate, în loc de parolă și cod. Nimeni nu o poate folosi pe un site fals.
passkeys-manage = Gestionați cheile de acces
passkeys-lead = Cheile dumneavoastră de acces. Fiecare funcționează numai pentru acest serviciu și numai cu dispozitivul care o păstrează, deblocat de dumneavoastră.
passkeys-none = Nu aveți încă nicio cheie de acces.
passkeys-added = Adăugată
passkeys-last-used = Ultima utilizare
passkeys-never-used = Nefolosită încă
passkeys-kept = Păstrată
passkeys-synced = Sincronizată pe celelalte dispozitive ale dumneavoastră de producătorul lor
passkeys-device-bound = Numai pe acest dispozitiv
passkeys-level = Nivelul oferit singură
passkeys-rename-label = Nume nou pentru „{ $name }”
passkeys-rename = Redenumiți
passkeys-remove = Eliminați „{ $name }”
passkeys-add-title = Adăugați o cheie de acces
passkeys-add-lead = Dați-i un nume pe care îl veți recunoaște, apoi urmați ce vă cere browserul: deblocați telefonul sau calculatorul ori atingeți cheia de securitate.
passkeys-name = Numele cheii de acces
passkeys-name-hint = De exemplu „Telefonul meu” sau „Cheia de securitate de la serviciu”.
passkeys-add-submit = Adăugați o cheie de acces
passkeys-off = Cheile de acces nu sunt disponibile în această instalare a serviciului.
passkeys-need-substantial = Pentru a adăuga o cheie de acces, autentificați-vă mai întâi cu autentificarea în doi pași sau cu semnătura electronică.
passkey-needs-script = Cheile de acces au nevoie de JavaScript în browser.
passkey-login-title = Autentificare cu o cheie de acces
passkey-login-lead = Folosiți blocarea ecranului telefonului sau a calculatorului ori cheia de securitate. Nu este nevoie de parolă.
passkey-login-submit = Autentificare cu o cheie de acces
passkey-js-failed = Cheia de acces nu a putut fi folosită. Încercați din nou sau autentificați-vă în alt mod.
passkey-js-cancelled = Cheia de acces nu a fost folosită: cererea a fost anulată sau a expirat. Încercați din nou când sunteți gata.
passkey-step-title = Confirmați cu cheia de acces
passkey-step-lead = Parola este corectă. Ca al doilea pas, folosiți una dintre cheile dumneavoastră de acces.
passkey-step-submit = Folosesc cheia de acces
passkey-step-other = Autentificare în alt mod
notice-passkey-added = Cheia de acces a fost adăugată. Vă puteți autentifica cu ea de acum.
notice-passkey-renamed = Cheia de acces a fost redenumită.
notice-passkey-removed = Cheia de acces a fost eliminată.
notice-passkey-gone = Această cheie de acces fusese deja eliminată.
err-passkey-failed = Cheia de acces nu a putut fi verificată. Încercați din nou sau autentificați-vă cu parola.
err-passkey-refused = Răspunsul dispozitivului nu a putut fi acceptat (cheia de acces trebuie deblocată de dumneavoastră). Încercați din nou sau folosiți alt dispozitiv.
err-passkey-exists = Această cheie de acces este deja înregistrată.
err-passkey-name-invalid = Numele nu poate conține caractere de control.
err-too-long = Textul este prea lung: cel mult { $n } caractere.
history-passkey-added = Cheie de acces adăugată
history-passkey-renamed = Cheie de acces redenumită
history-passkey-removed = Cheie de acces eliminată
history-passkey-counter-regression = O cheie de acces a fost refuzată: dispozitivul ei ar fi putut fi copiat
mail-passkey-added-subject = O cheie de acces a fost adăugată în contul npass
mail-passkey-added-body = În contul dumneavoastră npass a fost adăugată cheia de acces „{ $name }”. Dacă nu ați fost dumneavoastră, autentificați-vă, eliminați-o și schimbați parola sau contactați centrul de asistență.
mail-passkey-removed-subject = O cheie de acces a fost eliminată din contul npass
mail-passkey-removed-body = Cheia de acces „{ $name }” a fost eliminată din contul dumneavoastră npass. Dacă nu ați fost dumneavoastră, contactați centrul de asistență.
stepup-passkey-text = Autentificați-vă cu una dintre cheile dumneavoastră de acces.

## Autentificare prin cod QR cu aplicația npass
app-login-title = Autentificare cu aplicația npass
app-login-lead = Scanați un cod cu telefonul, verificați numărul și deblocați telefonul. Nu este nevoie de parolă; telefonul și calculatorul nu trebuie să fie în aceeași rețea.
app-login-submit = Afișați codul
app-wait-title = Scanați codul cu telefonul
app-wait-lead = Deschideți camera sau aplicația npass pe telefonul care are cheia dumneavoastră de acces și scanați acest cod. Codul este valabil 2 minute, o singură dată.
app-wait-qr-alt = Cod QR de scanat cu telefonul
app-wait-number = Pe telefon, alegeți acest număr:
app-wait-number-label = Numărul de ales: { $number }
app-wait-status = Se așteaptă răspunsul telefonului…
app-login-over-title = Acest cod nu mai poate fi folosit
err-app-login-refused = Autentificarea a fost refuzată pe telefon sau a fost ales alt număr. Nu s-a autentificat nimeni. Reîncepeți pentru un cod nou.
err-app-login-expired = Codul a expirat înainte de răspunsul telefonului. Reîncepeți pentru un cod nou.
err-app-login-over = Această autentificare s-a încheiat. Reîncepeți de la pagina de autentificare.
app-approve-title = Autentificare pe alt dispozitiv?
app-approve-loading = Se încarcă cererea…
app-approve-lead = Cineva cere să se autentifice în contul dumneavoastră npass pe alt dispozitiv. Aprobați numai dacă sunteți dumneavoastră, acum.
app-approve-service = Pentru
app-approve-browser = Browser
app-approve-place = De la
app-approve-time = Când
app-approve-pick = Alegeți numărul afișat pe acel dispozitiv
app-approve-deny = Nu am fost eu: refuz
app-portal = npass (contul dumneavoastră)
app-approved = Aprobat. Reveniți la celălalt dispozitiv: este autentificat.
app-denied = Refuzat. Nu s-a autentificat nimeni.
app-refused-unknown = Această cerere nu este cunoscută sau linkul este incomplet. Scanați codul din nou.
app-refused-used = Cererii i s-a răspuns deja.
app-refused-expired = Cererea a expirat. Reîncepeți pe celălalt dispozitiv.
app-refused-wrong-number = Nu acesta este numărul afișat pe celălalt dispozitiv. Cererea a fost anulată pentru siguranța contului; reîncepeți.
app-refused-passkey = Cheia de acces nu a putut fi verificată. Încercați din nou.
history-login-app-approved = Autentificare pe alt dispozitiv aprobată de pe telefon
history-login-app-denied = Autentificare pe alt dispozitiv refuzată de pe telefon
history-login-app-wrong-number = Autentificare pe alt dispozitiv anulată: a fost ales un număr greșit

# Aplicația npass (PWA)
app-name = Aplicația npass
app-description = Autentificarea națională pe telefonul Dvs.: aprobați autentificări prin cod QR, vedeți datele Dvs., gestionați dispozitivele.
app-off = Aplicația npass are nevoie ca serviciul să ruleze la o adresă web cu nume (nu o simplă adresă IP). Adresați-vă operatorului.
app-offline = Nu există conexiune cu npass. Verificați rețeaua și încercați din nou.
app-login-heading = Autentificare în aplicație
app-login-intro = Autentificați-vă o dată cu numărul de identificare de stat, parola și codul de verificare. Apoi acest telefon devine unul dintre dispozitivele Dvs. și se deschide cu propria blocare a ecranului.
app-enrol-heading = Faceți din acest telefon dispozitivul Dvs.
app-enrol-lead = Telefonul va crea o cheie pe care doar el o păstrează, deblocată prin blocarea ecranului (PIN, model, amprentă sau față). npass nu vede niciodată cum îl deblocați.
app-device-name = Denumirea acestui dispozitiv
app-device-default-name = Telefonul meu
app-enrol-submit = Adăugați acest telefon
app-locked-heading = Aplicația este blocată
app-locked-lead = Deblocați-o cu blocarea ecranului acestui telefon.
app-unlock = Deblocare
app-forget = Autentificare cu alt cont
app-lock = Blocați aplicația
app-profile-heading = Datele Dvs.
app-devices-heading = Dispozitivele Dvs.
app-devices-lead = Telefoanele pe care aplicația npass vă poate aproba autentificările. Revocați unul pe care nu-l mai aveți: se oprește imediat.
app-this-device = acest dispozitiv
app-revoke = Revocare
app-enrolled = Adăugat
app-device-revoked = Acest telefon nu mai este unul dintre dispozitivele Dvs. Autentificați-vă din nou pentru a-l adăuga.
app-err-invalid-token = Sesiunea aplicației nu mai este valabilă. Deblocați aplicația sau autentificați-vă din nou.
app-err-locked = Aplicația este blocată. Deblocați-o cu blocarea ecranului acestui telefon.
app-err-two-step-needed = Pentru a folosi aplicația, activați mai întâi autentificarea în doi pași pentru contul Dvs. (pe site-ul npass, în Contul meu).
app-err-not-found = Nu a fost găsit: poate a fost deja eliminat.
app-err-unlock-needed = Confirmați mai întâi că sunteți Dvs. cu blocarea ecranului acestui telefon: blocați aplicația și deblocați-o din nou.
history-device-enrolled = Un telefon a fost adăugat ca dispozitiv pentru aplicația npass
history-app-signed-in = Aplicația npass a fost configurată pe un dispozitiv
history-app-unlocked = Aplicația npass a fost deblocată
history-app-unlock-refused = O încercare de a debloca aplicația npass a fost refuzată
history-app-refresh-reused = O sesiune a aplicației npass a fost închisă: tokenul ei a fost folosit de două ori
passkeys-app-device = Aplicația npass pe acest telefon: vă aprobă autentificările prin cod QR. Eliminarea ei oprește imediat aplicația.
app-err-esign-needed = Modificările modului de autentificare se fac pe site-ul npass, după autentificarea cu semnătura electronică.
app-codes-heading = Coduri de verificare
app-codes-current = Codul de verificare acum:
app-codes-lead = Această aplicație poate genera codurile de verificare cerute de npass, chiar și fără rețea. Ea înlocuiește atunci orice altă aplicație Authenticator.
app-codes-current-hint = Codul pe care îl afișează acum aplicația Authenticator actuală.
app-codes-submit = Folosiți această aplicație pentru codurile de verificare
app-codes-done = Această aplicație generează acum codurile Dvs. de verificare. Vechea aplicație Authenticator nu mai funcționează pentru npass.
app-codes-seconds-left = Secunde rămase:
app-send-label = Sau trimiteți cererea pe telefon: numărul de identificare de stat
app-send-hint = Dacă aplicația npass este configurată pe un telefon, cererea așteaptă acolo. Alegeți în continuare numărul afișat aici.
app-send-submit = Trimiteți pe telefonul meu
app-wait-sent = Dacă acest număr de identificare are aplicația npass pe un telefon, cererea așteaptă și în aplicație: deschideți-o și alegeți numărul de mai jos.
app-requests-heading = Cereri de autentificare în așteptare
app-requests-none = Nicio cerere de autentificare nu așteaptă.
app-requests-open = Verificați și răspundeți
app-requests-refresh = Verificați din nou
history-app-request-capped = Prea multe cereri de autentificare au fost trimise pe telefonul Dvs.; ultimele nu au fost trimise
err-push-endpoint = npass nu poate trimite notificări prin acest serviciu.
err-push-keys = Cheile abonamentului nu sunt valide.
app-push-title = npass: o cerere de autentificare
app-push-body = Deschideți aplicația npass pentru a verifica cine cere și a răspunde.
app-push-enable = Anunțați-mă pe acest telefon despre cererile de autentificare
app-push-on = Acest telefon va fi anunțat despre cererile de autentificare.
err-picture-not-image = Aceasta nu este o imagine PNG sau JPEG.
err-picture-too-large = Imaginea este prea mare: cel mult { $n } MB.
err-picture-too-big = Imaginea este prea mare: cel mult { $n } pixeli pe latură.
app-picture-heading = Fotografia Dvs.
app-picture-label = Alegeți o fotografie nouă (PNG sau JPEG, cel mult 2 MB)
app-picture-submit = Salvați fotografia
app-picture-saved = Fotografia Dvs. este salvată.
app-picture-alt = Fotografia Dvs. de profil
account-picture-alt = Fotografia Dvs. de profil
history-account-picture-changed = Fotografia de profil a fost schimbată
history-account-picture-removed = Fotografia de profil a fost eliminată
released-picture = fotografia Dvs.
app-scan-heading = Scanați un cod de autentificare
app-scan-lead = Îndreptați camera spre codul de pe pagina de autentificare a celuilalt dispozitiv. Se deschid doar codurile de autentificare npass.
app-scan-start = Scanați cu camera
app-scan-video = Ce vede camera
app-scan-looking = Se caută un cod npass…
app-scan-stop = Opriți scanarea

## SAML 2.0
saml-post-title = Revenire la serviciu
saml-post-lead = Sunteți trimis înapoi la { $service }. Dacă nu se întâmplă nimic, apăsați Continuă.
saml-post-continue = Continuă
saml-bad-request = Cererea serviciului nu a putut fi citită. Nu i s-a trimis nimic. Reveniți la serviciu și începeți din nou.
saml-too-large = Cererea serviciului este prea mare. Nu i s-a trimis nimic.
saml-unknown-service = Serviciul care v-a trimis aici nu este înregistrat în npass sau este dezactivat. Nu i s-a trimis nimic.
saml-bad-signature = Cererea serviciului nu este semnată cu certificatul său înregistrat. Pentru siguranța dumneavoastră nu i s-a trimis nimic.
saml-weak-signature = Cererea serviciului este semnată cu un algoritm pe care npass nu îl mai acceptă (SHA-1). Nu i s-a trimis nimic.
saml-bad-destination = Cererea serviciului era destinată altei adrese de autentificare. Nu i s-a trimis nimic.
saml-stale-request = Cererea serviciului este prea veche sau datată în viitor (verificați ceasul serviciului). Reveniți la serviciu și începeți din nou.
saml-bad-acs = Serviciul a indicat o adresă de revenire care nu este înregistrată. Pentru siguranța dumneavoastră nu ați fost trimis înapoi.
saml-relay-state = Cererea serviciului conține mai mult de 80 de octeți de stare de revenire. Nu i s-a trimis nimic.
saml-replay = Această cerere a serviciului a fost deja folosită. Reveniți la serviciu și începeți din nou.
history-saml-authorized = Autentificare într-un serviciu (SAML)
history-saml-consent = Acord de transmitere a datelor către un serviciu (SAML)
history-saml-logout = Deconectare din serviciile în care v-ați autentificat
err-saml-metadata = Metadatele furnizorului de servicii nu au putut fi citite: indicați un fișier de metadate SAML (EntityDescriptor cu SPSSODescriptor) sau adresa lui https://.
err-certificate = Certificatul nu a putut fi citit: indicați un certificat X.509 (.cer sau PEM) cu o cheie RSA de cel puțin 2048 de biți sau o cheie pe curbă eliptică.
err-certificate-weak = Cheia RSA a certificatului are mai puțin de 2048 de biți.
err-entity-id = Identificatorul entității lipsește sau este prea lung.
err-saml-encryption-certificate = Aserțiunile criptate necesită certificatul de criptare al serviciului: în metadatele sale (un KeyDescriptor pentru criptare) sau dat separat.
err-saml-encryption-key = Aserțiunile pot fi criptate doar pentru o cheie RSA de cel puțin 2048 de biți: dați un certificat cu o astfel de cheie.
err-saml-endpoint-local = Aceasta este o instalare de producție: adresele unui serviciu nu pot fi pe acest calculator (localhost sau o adresă loopback). Înregistrați serviciile de test într-o instalare de test.
err-saml-attribute-unknown = Atribut necunoscut; folosiți FirstName, LastName, BirthDate, Gender, Language, IsResident, EmailAddress, MobilePhone sau NameIdentifier.
err-saml-national-id-not-entitled = NameIdentifier (codul personal) se transmite doar unui serviciu înregistrat ca având dreptul la el.
meta-title = Metadate și certificate
meta-lead = Ce le trebuie serviciilor electronice pentru a se conecta la npass: adresele și certificatele cu care sunt semnate mesajele sale.
meta-saml = SAML 2.0
meta-entity-id = Identificatorul entității
meta-metadata = Metadate
meta-sso = Autentificare unică (HTTP-POST, HTTP-Redirect)
meta-slo = Deconectare unică (HTTP-POST, HTTP-Redirect)
meta-certificates = Certificate de semnare
meta-fingerprint = Amprenta SHA-256 { $sha256 }
meta-rotation = În timpul schimbării cheii sunt listate ambele certificate: acceptați-l pe oricare până când cel vechi dispare.
meta-oidc = OpenID Connect
saml-logout-title = Ieșire din servicii
saml-logout-lead = V-ați deconectat de la npass. Acum npass vă deconectează de la serviciile folosite în această sesiune; fiecare arată mai jos dacă a confirmat.
saml-logout-frame = Ieșire din { $service }
saml-logout-hint = Când fiecare serviciu își arată răspunsul (sau dacă unul nu răspunde), apăsați Continuă.
saml-logout-send = Ieșire din { $service }
saml-logout-frame-done = V-ați deconectat de la { $service }.
saml-logout-frame-failed = { $service } nu a confirmat ieșirea. Închideți browserul pentru siguranță.
saml-logout-done-title = V-ați deconectat
saml-logout-done-lead = V-ați deconectat de la npass și de la aceste servicii:
saml-logout-confirmed = deconectat
saml-logout-unconfirmed = nu a confirmat: închideți browserul pentru siguranță
saml-no-logout-url = Serviciul a cerut ieșirea, dar nu are înregistrată o adresă de ieșire, deci nu i se poate răspunde. Sesiunea npass nu a fost încheiată.
saml-logout-unknown = Acest răspuns la o ieșire nu este unul așteptat de npass (a venit prea târziu sau de la alt serviciu).
err-saml-binding = Legătură necunoscută; folosiți post sau redirect.

# Rolurile serviciilor electronice (nota de proiectare 0019)
err-role-name = Denumirea unui rol are între 1 și 64 de litere, cifre, puncte, linii de subliniere sau cratime, fără spații.
err-role-self = Nu vă puteți acorda singur un rol: trebuie să o facă alt administrator al serviciului.
err-role-unknown = Serviciul nu are acest rol.
err-role-until-past = Data de încheiere trebuie să fie în viitor.
history-admin-roles-declared = Rolurile unui serviciu au fost stabilite
history-admin-roles-retired = Un rol al unui serviciu a fost retras din uz
history-roles-admin-added = Ați devenit administrator al unui serviciu
history-roles-admin-removed = Nu mai sunteți administrator al unui serviciu
history-roles-granted = Vi s-a acordat un rol într-un serviciu
history-roles-withdrawn = Un rol pe care îl aveați într-un serviciu a fost retras

# Administrarea serviciilor (nota de proiectare 0019)
account-service-admin-link = Administrarea serviciilor: rolurile în serviciile pe care le administrați
account-roles-title = Rolurile dumneavoastră în servicii
account-roles-lead = Administratorii acestor servicii v-au atribuit aceste roluri. Serviciul le primește atunci când vă autentificați în el.
service-admin-title = Administrarea serviciilor
service-admin-lead = Serviciile pe care le administrați, rolurile lor și cine le deține. Un rol acordat ajunge la serviciu la următoarea autentificare sau următorul token al persoanei; unul retras dispare imediat.
service-admin-stronger = Pentru a acorda sau retrage roluri, autentificați-vă mai întâi cu parola și codul de verificare (sau cu o cheie de acces ori semnătura electronică).
service-admin-none = Nu administrați niciun serviciu.
service-admin-roles = Rolurile acestui serviciu:
service-admin-holders = Cine le deține
service-admin-no-holders = Nimeni nu deține încă un rol.
service-admin-until-withdrawn = până la retragere
service-admin-until = până la { $date } inclusiv
service-admin-withdraw = Retrageți { $role } de la { $name }
service-admin-grant-title = Acordați un rol
service-admin-grant = Acordați rolul
field-role = Rol
field-role-until = Ultima zi (opțional)
hint-role-until = Lăsați gol pentru un rol valabil până îl retrageți.
notice-role-granted = Rolul a fost acordat.
notice-role-withdrawn = Rolul a fost retras.
err-role-until-date = Indicați ultima zi ca dată sau lăsați câmpul gol.
err-role-no-citizen = Nimeni cu acest număr de identificare nu are cont npass.
err-role-level = Autentificați-vă cu codul de verificare (sau cu o cheie de acces ori semnătura electronică) pentru a acorda sau retrage roluri.
service-admin-admins = Administratori
field-admin-national-id = Numărul de identificare al noului administrator
service-admin-add = Adăugați administratorul
hint-service-admin-add = Numărul de identificare al unei persoane care va administra serviciul împreună cu dvs.: poate acorda și retrage rolurile lui.
notice-admin-added = Administratorul a fost adăugat.
err-role-admin-already = Această persoană administrează deja serviciul.
service-admin-you = (dumneavoastră; vă poate elimina alt administrator sau operatorul)
service-admin-remove = Eliminați-l pe { $name } din administratori
notice-admin-removed = Administratorul a fost eliminat.
err-role-admin-self = Nu vă puteți elimina singur: trebuie să o facă alt administrator al serviciului sau operatorul.

# Organizații (nota de proiectare 0019)
err-org-idno = Un IDNO are 13 cifre, ultima verificându-le pe celelalte; acesta nu este corect.
err-org-csv-line = Rândul { $n } al fișierului nu este „IDNO,denumire” cu un IDNO valid și o denumire: nu s-a importat nimic.
err-org-csv-file = Fișierul nu a putut fi citit.
history-admin-org-registered = O organizație a fost adăugată în registru
history-admin-orgs-imported = Organizațiile au fost importate din registrul de stat
history-orgs-admin-added = Ați devenit administrator al unei organizații
history-orgs-admin-removed = Nu mai administrați o organizație
history-orgs-representative-named = Ați fost numit reprezentant al unei organizații
history-orgs-representative-withdrawn = Reprezentarea unei organizații v-a fost retrasă
history-orgs-registered-from-certificate = O organizație a intrat în registru din certificatul dvs. de organizație
history-orgs-admin-from-certificate = Certificatul dvs. de organizație v-a făcut administrator al organizației
account-orgs-link = Organizații: cele pe care le administrați sau le reprezentați
orgs-title = Organizații
orgs-lead = Organizațiile pe care le administrați sau le reprezentați. Un reprezentant acționează în numele organizației cu rolurile indicate aici, până la ultima zi indicată sau până la retragere.
orgs-none = Nu administrați și nu reprezentați nicio organizație.
orgs-you-admin = Administrați această organizație: numiți și retrageți reprezentanții ei.
orgs-you-represent = Reprezentați această organizație.
orgs-your-roles = Rolurile dvs.: { $roles }.
orgs-members = Administratorii și reprezentanții ei
orgs-kind-admin = administrator
orgs-kind-representative = reprezentant
orgs-withdraw = Retrageți-l pe { $name }
orgs-name-title = Numiți un reprezentant
orgs-name = Numiți reprezentantul
field-org-roles = Rolurile în organizație
hint-org-roles = Denumiri separate prin virgulă, de exemplu: contabil, semnatar.
hint-org-until = Lăsați gol pentru o reprezentare valabilă până o retrageți.
notice-representative-named = Reprezentantul a fost numit.
notice-representative-withdrawn = Reprezentantul a fost retras.
err-org-self = Nu vă puteți numi singur: trebuie să o facă alt administrator al organizației.
err-role-grant-form = Indicați acordarea ca NUMĂR_DE_IDENTIFICARE=ROL.

# Acting for another: the login chooser and mandates (design note 0019)
history-admin-eservice-contexts = S-a schimbat ce acceptă un serviciu electronic din autentificările în numele altora
history-mandates-offered = A fost acordată o împuternicire
history-mandates-accepted = O împuternicire a fost acceptată
history-mandates-ended = O împuternicire a încetat
history-mandates-used = Cineva s-a autentificat în numele dvs. cu împuternicirea dată
account-mandates-link = Împuterniciri: cine acționează în numele dvs. și în numele cui acționați
context-title = În numele cui vă autentificați?
context-lead = { $service } acceptă autentificări în numele unei organizații pe care o reprezentați sau al unei persoane care v-a dat o împuternicire.
context-legend = Mă autentific
context-myself = În nume propriu
context-org-roles = În numele acestei organizații. Rolurile dvs.: { $roles }
context-mandate-until = În numele acestei persoane, cu împuternicirea ei (până la { $date } inclusiv)
context-requires-org = Acest serviciu electronic acceptă doar autentificări în numele unei organizații, iar dvs. nu administrați și nu reprezentați niciuna. Cereți unui administrator al organizației să vă numească reprezentant.
context-requires-mandate = Acest serviciu electronic acceptă doar autentificări în numele altei persoane, iar nimeni nu v-a dat o împuternicire pentru el.
context-continue = Continuați
context-remembered = Alegerea dvs. este reținută pentru acest serviciu electronic; o puteți schimba la următoarea autentificare.
context-cancel = Renunțați și reveniți la serviciul electronic
context-refused = Nu vă puteți autentifica în numele acestei organizații sau persoane: reprezentarea sau împuternicirea nu vă aparține, a încetat sau acest serviciu electronic nu o acceptă. Nu s-a schimbat nimic.
mandates-title = Împuterniciri
mandates-lead = O împuternicire permite unei persoane de încredere să se autentifice în numele dvs. la serviciile electronice alese, până la data aleasă — și la ghișeu, fără să vă cunoască vreodată parola. Oricare dintre dvs. o poate înceta oricând.
mandates-i-act-for = Acționez în numele
mandates-none-held = Nimeni nu v-a dat o împuternicire.
mandates-offered-to-you = — așteaptă să o acceptați
mandates-accept = Acceptați împuternicirea de la { $name }
mandates-decline = Refuzați împuternicirea de la { $name }
mandates-end = Încetați împuternicirea cu { $name }
mandates-acting-for-me = Acționează în numele meu
mandates-none-given = Nu ați dat nimănui o împuternicire.
mandates-waiting = — așteaptă să fie acceptată
mandates-give-title = Acordați o împuternicire
mandates-no-services = Încă niciun serviciu electronic nu acceptă autentificări în numele altei persoane.
mandates-give-lead = Persoana numită acceptă împuternicirea din propriul cont; de atunci se poate autentifica în numele dvs. la serviciile electronice alese. Aveți nevoie de o autentificare recentă cu codul de verificare (sau o cheie de acces ori o semnătură electronică).
mandates-field-representative = Numărul de identificare de stat al persoanei care va acționa în numele dvs.
mandates-field-services = Serviciile electronice la care poate acționa în numele dvs.
mandates-field-until = Ultima zi
mandates-hint-until = Cel mult un an de azi.
mandates-give = Acordați împuternicirea
notice-mandate-offered = Împuternicirea a fost acordată. Intră în vigoare când persoana o acceptă.
notice-mandate-accepted = Împuternicirea a fost acceptată: vă puteți autentifica în numele acestei persoane la serviciile electronice pe care le numește.
notice-mandate-ended = Împuternicirea a încetat.
err-mandate-until = Indicați ultima zi a împuternicirii ca dată.
err-mandate-too-long = O împuternicire durează cel mult un an.
err-mandate-service = Alegeți cel puțin unul dintre serviciile electronice din listă.
err-mandate-self = Nu vă puteți da o împuternicire dvs. înșivă.
err-mandate-level = Autentificați-vă cu codul de verificare (sau o cheie de acces ori o semnătură electronică) pentru a acorda sau a accepta o împuternicire.
err-context-require = Un serviciu electronic poate cere doar un context pe care îl acceptă.
history-acting-org = în numele { $org }
history-acting-mandate = în numele altei persoane, cu împuternicirea ei
err-mandate-too-many = Aveți deja { $n } împuterniciri în vigoare: încetați una înainte de a acorda alta.
context-org = În numele acestei organizații.
