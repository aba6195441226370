"""The e-mail adapter's settings: the shared ones (logging, tracing, tokens, HTTP, Kafka) plus its
own. It has no database: the mailbox keeps every letter until it is registered, and the folder a
letter is in says what became of it."""

from __future__ import annotations

from pydantic import Field

from appeals_runtime.settings import OptionalName, OptionalSecret, ServiceSettings


class MailSettings(ServiceSettings):
    service_name: str = "mail"
    http_port: int = 8009
    api_docs: bool = Field(False, description="API_DOCS: serve /docs and /openapi.json")
    imap_host: str = Field("127.0.0.1", description="IMAP_HOST: the city's appeals mailbox")
    imap_port: int = Field(993, description="IMAP_PORT")
    imap_tls: bool = Field(True, description="IMAP_TLS: IMAP over TLS (IMAPS); false only on loopback")
    imap_user: str = Field("appeals@open.almaty.example", description="IMAP_USER: the mailbox's login")
    imap_password: OptionalSecret = Field(None, description="IMAP_PASSWORD (required)")
    mail_address: str = Field("appeals@open.almaty.example", description="MAIL_ADDRESS: the city's appeals "
                              "address, the From of every reply")
    mail_poll_s: float = Field(10.0, gt=0, le=600, description="MAIL_POLL_S: seconds between rounds over the INBOX")
    mail_max_bytes: int = Field(25 * 1024 * 1024, ge=1024, description="MAIL_MAX_BYTES: a larger letter is not "
                                "taken: its sender is told once, the letter kept in the INBOX")
    mail_category: str = Field("other_akimat_matters", description="MAIL_CATEGORY: the category a letter is "
                               "registered under (routing's triage sorts it)")
    mail_folder_registered: str = Field("Registered", description="MAIL_FOLDER_REGISTERED: where a letter moves "
                                        "once the platform's registration reply for it came")
    mail_folder_incomplete: str = Field("Incomplete", description="MAIL_FOLDER_INCOMPLETE: where a letter intake "
                                        "refused waits for the reply that completes it")
    smtp_host: str = Field("localhost", description="SMTP_HOST: the server the replies are sent through")
    smtp_port: int = Field(25, description="SMTP_PORT")
    smtp_username: OptionalName = Field(None, description="SMTP_USERNAME (empty: no authentication)")
    smtp_password: OptionalSecret = Field(None, description="SMTP_PASSWORD")
    smtp_tls: str = Field("none", description="SMTP_TLS: none, starttls or tls")
    intake_url: str = Field("http://127.0.0.1:8001", description="INTAKE_URL: intake's HTTP API (a letter's "
                            "photos and PDFs)")
    mail_client_id: str = Field("mail-adapter-service", description="MAIL_CLIENT_ID: the adapter's confidential "
                                "client at the IdP (the client credentials grant, role adapter)")
    mail_client_secret: OptionalSecret = Field(None, description="MAIL_CLIENT_SECRET (required)")
