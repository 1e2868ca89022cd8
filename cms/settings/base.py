"""Settings shared by every environment. Everything deployment-specific comes from the
environment so one code base serves dev, test, CI and production."""

import datetime
import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).resolve() if value else default


# Runtime data (database, media, site releases, the content repo's git directory).
VAR_DIR = env_path("VAR_DIR", BASE_DIR / "var")
CONTENT_DIR = env_path("CONTENT_DIR", BASE_DIR / "content")
CONTENT_GIT_DIR = env_path("CONTENT_GIT_DIR", VAR_DIR / "content.git")
SITE_SOURCE_DIR = BASE_DIR / "site"
SITE_RELEASES_DIR = env_path("SITE_RELEASES_DIR", VAR_DIR / "site")
SITE_RELEASES_KEEP = int(os.environ.get("SITE_RELEASES_KEEP", "5"))
# Absolute base URL of the public site (canonical links, sitemap, feed).
PUBLIC_SITE_URL = os.environ.get("PUBLIC_SITE_URL", "http://127.0.0.1:8000/")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
DEBUG = False
ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h]

INSTALLED_APPS = [
    "cms.core",
    "cms.accounts",
    "cms.openness",
    "cms.publishing",
    "cms.study",
    "cms.media",  # image and document files only through the access rule (cms/media/selectors.py)
    "cms.audit",  # the audit log (signal receivers in cms/audit/signals.py)
    "cms.feedback",  # 问卷: member and public forms (wagtail.contrib.forms builder)
    "cms.consultations",  # 咨询与意见建议 and the public FAQ page type
    "cms.assessment",  # 测评: question bank, quizzes and contests, attempts, mastery, 错题本
    "cms.delivery",  # 消息推送: platforms (group robots, webhooks), channels, email, the delivery queue and log
    "cms.notifications",  # 通知公告 with read receipts and replies (pushed through cms.delivery)
    "cms.bootstrap",  # set-up across the apps: setup_roles, load_demo, help screenshots (no models)
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.contrib.table_block",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from /static/ (no outside host)
    "django_tasks",
    "django_tasks_db",
    "axes",  # one log-in lock-out policy for the admin and the member area (cms/accounts/lockout.py)
    "django_otp",  # optional TOTP second factor for staff (cms/accounts/otp.py)
    "django_otp.plugins.otp_totp",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # Wagtail's workflow status uses its "3秒之前" wording
]

MIDDLEWARE = [
    "cms.core.security.AdminHostMiddleware",
    "cms.core.security.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cms.core.security.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "cms.audit.context.AuditContextMiddleware",  # the request for audit entries (who, from where)
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    "cms.accounts.otp.SecondFactorMiddleware",  # staff: the code after the password
    "cms.accounts.first_login.PasswordChangeRequiredMiddleware",  # initial passwords changed first
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lock-out into our Chinese answer
]

AUTHENTICATION_BACKENDS = [
    "cms.accounts.lockout.LockoutBackend",  # refuses locked accounts and addresses first
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "cms.urls"

# Content-Security-Policy per part of the site (cms/core/security.py). The "site" policy is
# also what nginx sends with the static files (docs/operations.md; a test keeps them equal).
# No 'unsafe-inline' for scripts anywhere but the admin: Wagtail 7.4 still has inline scripts.
_SELF_ONLY = "object-src 'none'; base-uri 'self'; form-action 'self'"
CONTENT_SECURITY_POLICIES = {
    "site": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "font-src 'self' data:; media-src 'self'; connect-src 'self'; worker-src 'self'; "
        f"manifest-src 'self'; frame-src 'none'; {_SELF_ONLY}; frame-ancestors 'none'"
    ),
    "api": "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "api_docs": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; connect-src 'self'; {_SELF_ONLY}; frame-ancestors 'none'"
    ),
    "admin": (
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; "
        f"connect-src 'self'; frame-src 'self'; {_SELF_ONLY}; frame-ancestors 'self'"
    ),
}
# Report-only sends the same policies as Content-Security-Policy-Report-Only: for audits with
# tools that inject their own script into pages (axe-core through page_check.py), never for
# real traffic.
CONTENT_SECURITY_POLICY_REPORT_ONLY = os.environ.get("CSP_REPORT_ONLY", "").lower() in ("1", "true", "yes")
# Idle sessions end (admin and member area): expiry moves forward with each request, the
# session row is rewritten at most once per SESSION_REFRESH_SECONDS (cms/core/security.py).
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60
SESSION_REFRESH_SECONDS = 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Serve the admin on its own host name in production (e.g. admin.dangjian.example.cn): the
# admin then answers there only, so a script on the public site can never reach its
# session (docs/operations.md, "Admin on its own host").
ADMIN_HOST = os.environ.get("DJANGO_ADMIN_HOST", "").strip()
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cms" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "cms.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and (
    os.environ.get("DATABASE_PREPARED_STATEMENTS", "1") == "1"
):
    # Parameters bound by the server let psycopg prepare a statement once a connection has
    # run it five times: the member API's hot statements (the heartbeat's seven-table read,
    # the answer upsert) then skip PostgreSQL's parsing and planning, which cost as much as
    # running them. Off (0) behind a transaction-pooling PgBouncer older than 1.24 (1.21-1.23:
    # only with max_prepared_statements set). A migration that changes a column's type makes
    # running processes' prepared statements fail until they reconnect: restart them after
    # migrate (docs/operations.md, Upgrades).
    DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 5})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets the worker write while the web process reads; a generous timeout rides
    # out short write locks instead of failing a request with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# The password policy (cms/accounts/passwords.py explains the choice against OWASP ASVS).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "cms.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "cms.accounts.passwords.NotUsernameValidator"},
    {"NAME": "cms.accounts.passwords.PasswordHistoryValidator", "OPTIONS": {"history": 5}},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "cms" / "locale"]

STATIC_URL = "/static/"
STATIC_ROOT = env_path("STATIC_ROOT", VAR_DIR / "static")
MEDIA_URL = "/media/"
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Wagtail
WAGTAIL_SITE_NAME = "网络党建平台"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
# Gravatar is blocked in mainland China and would be a request to an outside host.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAIL_MODERATION_ENABLED = True
WAGTAILDOCS_SERVE_METHOD = "serve_view"  # private documents only through the permission check
# Files leave through cms/media/sendfile.py: streamed by Django, or with PRIVATE_MEDIA_ACCEL_PREFIX
# set (e.g. /_protected_media/) as X-Accel-Redirect to nginx's `internal` location of MEDIA_ROOT.
SENDFILE_BACKEND = "cms.media.sendfile"
PRIVATE_MEDIA_ACCEL_PREFIX = os.environ.get("PRIVATE_MEDIA_ACCEL_PREFIX", "")
# Where that check sends anonymous visitors (?next=/documents/…): the member log-in of the
# static site, which returns to `next` after logging in (dj-member.js). Wagtail's own
# /_util/login/ is shadowed by the public site's catch-all.
WAGTAIL_FRONTEND_LOGIN_URL = "/member/"
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILDOCS_EXTENSIONS = [
    "pdf",
    "doc",
    "docx",
    "xls",
    "xlsx",
    "ppt",
    "pptx",
    "txt",
    "odt",
    "ods",
    "zip",
    "mp4",
    "webm",
    "mp3",
    "m4a",
    "ogg",
]
# Upload limits (cms/core/uploads.py checks size and that the content matches the extension).
_MB = 1024 * 1024
UPLOAD_MAX_BYTES = {
    "document": int(os.environ.get("UPLOAD_MAX_DOCUMENT_MB", "50")) * _MB,
    "video": int(os.environ.get("UPLOAD_MAX_VIDEO_MB", "500")) * _MB,
    "audio": int(os.environ.get("UPLOAD_MAX_AUDIO_MB", "100")) * _MB,
}
# Feedback forms (cms/feedback): an attachment to a file question (also within the document
# limit above), and submissions one client may send to one public form per hour (counted by a
# salted, daily-rotated hash of its address; the address is never stored).
FEEDBACK_FILE_MAX_BYTES = int(os.environ.get("FEEDBACK_FILE_MAX_MB", "10")) * _MB
FEEDBACK_PUBLIC_SUBMISSIONS_PER_HOUR = int(os.environ.get("FEEDBACK_PUBLIC_SUBMISSIONS_PER_HOUR", "10"))
WAGTAILDOCS_DOCUMENT_FORM_BASE = "cms.core.uploads.DocumentForm"
WAGTAILIMAGES_IMAGE_FORM_BASE = "cms.core.uploads.ImageForm"  # re-encoded: no EXIF/GPS kept
WAGTAILIMAGES_MAX_UPLOAD_SIZE = int(os.environ.get("UPLOAD_MAX_IMAGE_MB", "10")) * _MB
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAILADMIN_USER_LOGIN_FORM = "cms.accounts.forms.LoginForm"
WAGTAIL_DATE_FORMAT = "%Y-%m-%d"
WAGTAIL_DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Spreadsheet imports (cms/core/spreadsheets.py): refused above these sizes before parsing;
# rows are streamed and reading stops at the limit.
SPREADSHEET_MAX_BYTES = int(os.environ.get("SPREADSHEET_MAX_BYTES", str(10 * 1024 * 1024)))
SPREADSHEET_MAX_UNPACKED_BYTES = int(os.environ.get("SPREADSHEET_MAX_UNPACKED_BYTES", str(100 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "20000"))

# /api/health/ answers 503 when the oldest waiting task is older than this.
HEALTH_QUEUE_STALE_SECONDS = int(os.environ.get("HEALTH_QUEUE_STALE_SECONDS", "300"))

# Email (cms/delivery, password reset, workflow mail): SMTP from the environment. Without
# EMAIL_HOST, dev prints mail to the console (cms/settings/dev.py) and production refuses to
# pretend: the smtp backend to localhost:25 fails loudly and the delivery log says so.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "").lower() in ("1", "true", "yes")
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "").lower() in ("1", "true", "yes")
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "网络党建平台 <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Push delivery (cms/delivery, docs/operations.md "Push channels and email"). Robot addresses
# must be https; plain http only for these hosts (private 政务钉钉/飞书/企业微信 gateways).
DELIVERY_ALLOWED_HTTP_HOSTS = [
    h.strip() for h in os.environ.get("DELIVERY_ALLOWED_HTTP_HOSTS", "").split(",") if h.strip()
]
DELIVERY_USER_AGENT = os.environ.get("DELIVERY_USER_AGENT", "dangjian-cms-delivery/1.0")
DELIVERY_TIMEOUT_SECONDS = float(os.environ.get("DELIVERY_TIMEOUT_SECONDS", "10"))
DELIVERY_CONNECT_TIMEOUT_SECONDS = float(os.environ.get("DELIVERY_CONNECT_TIMEOUT_SECONDS", "3"))
# A delivery left 发送中 this long (its worker died) is sent again.
DELIVERY_SENDING_STALE_SECONDS = int(os.environ.get("DELIVERY_SENDING_STALE_SECONDS", "600"))
# One delivery task run sends for at most this long, then schedules the next run.
DELIVERY_TASK_MAX_SECONDS = float(os.environ.get("DELIVERY_TASK_MAX_SECONDS", "30"))

# Background work: `manage.py worker` drains this queue (one or several of them).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Workers refresh a heartbeat row this often; one not seen for WORKER_DEAD_AFTER_SECONDS
# (or, on the same host, whose process is gone) is dead, and what it was running is marked
# 中断 and published again. The check runs on worker start and every
# WORKER_RECOVERY_SECONDS (once across all workers). cms/publishing/recovery.py
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "5"))
WORKER_DEAD_AFTER_SECONDS = float(os.environ.get("WORKER_DEAD_AFTER_SECONDS", "60"))
WORKER_RECOVERY_SECONDS = float(os.environ.get("WORKER_RECOVERY_SECONDS", "30"))

REST_FRAMEWORK = {
    # Session auth answering 401 and checking CSRF on every unsafe request; one Chinese
    # JSON error shape (cms/core/authentication.py, cms/core/api.py, docs/member-api.md).
    "DEFAULT_AUTHENTICATION_CLASSES": ["cms.core.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "cms.core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # How many reverse proxies add X-Forwarded-For in front of Django: 0 trusts only
    # REMOTE_ADDR (a client cannot fake its address to dodge the log-in lock-out).
    "NUM_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
}

# Audit log (cms/audit): entries are kept at least this many days (never fewer than 180,
# enforced by cms.audit.services.retention_days); older ones go in the daily audit_prune.
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "180"))

# Consultations and suggestions (cms/consultations): an item waiting for an answer longer
# than this many working days (Mon–Fri minus CONSULTATION_HOLIDAYS, ISO dates separated by
# commas: statutory holidays are announced yearly, so they are configured, not built in) is
# overdue. CONSULTATION_COMMITTEE_UNIT names the unit behind 党委办公室 (default: the first
# top-level 党委).
CONSULTATION_SLA_WORKING_DAYS = int(os.environ.get("CONSULTATION_SLA_WORKING_DAYS", "5"))
# Parsed here, so a mistyped date stops the server at start rather than failing a request.
CONSULTATION_HOLIDAYS = [
    datetime.date.fromisoformat(d.strip()) for d in os.environ.get("CONSULTATION_HOLIDAYS", "").split(",") if d.strip()
]
CONSULTATION_COMMITTEE_UNIT = os.environ.get("CONSULTATION_COMMITTEE_UNIT", "")
CONSULTATION_ATTACHMENT_MAX_BYTES = int(os.environ.get("CONSULTATION_ATTACHMENT_MAX_MB", "10")) * _MB

# Log-in lock-out (cms/accounts/lockout.py), counted in the database so every app server
# sees the same failures.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))  # per account
LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("LOGIN_ADDRESS_FAILURE_LIMIT", "30"))  # per client address
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # this order: LockoutHandler reads it so
AXES_HANDLER = "cms.accounts.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "cms.accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "cms.accounts.lockout.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Initial passwords (imported, created or reset by an administrator, demo accounts) must be
# changed by their owner before anything else (cms/accounts/first_login.py). Off in dev.py.
INITIAL_PASSWORD_CHANGE_REQUIRED = os.environ.get("INITIAL_PASSWORD_CHANGE_REQUIRED", "1") == "1"
# TOTP second factor (cms/accounts/otp.py): optional for staff; with this on, 管理员 must
# enrol before they can do anything else in the admin.
OTP_REQUIRED_FOR_ADMINISTRATORS = os.environ.get("OTP_REQUIRED_FOR_ADMINISTRATORS", "0") == "1"
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "网络党建平台")  # the name shown in authenticator apps

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "网络党建平台 API",
    "DESCRIPTION": "学员区（/member/）使用的接口，约定见 docs/member-api.md。"
    "登录后使用会话 Cookie；POST/DELETE 请求须带 X-CSRFToken 头。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl: Swagger UI would otherwise fetch a badge from an outside validator.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        # Courses, forms and consultations each have a "state": each choice set gets its own name.
        "CourseStateEnum": "cms.study.serializers.COURSE_STATES",
        "FormStateEnum": "cms.feedback.serializers.STATES",
        "FormKindEnum": "cms.feedback.models.FormKind",
        "ConsultationKindEnum": "cms.consultations.models.Kind",
        "ConsultationAddresseeEnum": "cms.consultations.models.Addressee",
        "ConsultationStateEnum": "cms.consultations.models.State",
        "ConsultationMessageKindEnum": "cms.consultations.models.MessageKind",
        "QuizKindEnum": "cms.assessment.models.QuizKind",
        "AttemptSourceEnum": "cms.assessment.models.AttemptSource",
        "QuestionTypeEnum": "cms.assessment.answers.QuestionType.CHOICES",
        "PracticeSourceEnum": "cms.assessment.serializers.PRACTICE_SOURCES",
        "NoticeKindEnum": "cms.notifications.models.Kind",
        "NoticeReplyEnum": "cms.notifications.models.Reply",
    },
    "PREPROCESSING_HOOKS": ["cms.core.api.only_api_paths"],
    # 403 password_change_required / otp_required where the log-in middlewares may answer so.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "cms.accounts.first_login.document_refusals",
    ],
}

LOGIN_URL = "wagtailadmin_login"
# Under /api/ a CSRF refusal is the API's JSON error; elsewhere Django's page.
CSRF_FAILURE_VIEW = "cms.core.api.csrf_failure"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "cms": {"handlers": ["console"], "level": os.environ.get("CMS_LOG_LEVEL", "INFO")},
        # httpx logs every request's full URL at INFO, and a robot's URL holds its token
        # (WeCom's key, DingTalk's access_token, Feishu's hook id): never below WARNING.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}
WAGTAIL_ALLOW_UNICODE_SLUGS = False
