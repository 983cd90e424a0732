//! HTTP errors: a status and a JSON `ErrorBody` with a stable code. 5xx bodies are opaque; the
//! cause is logged.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use shared::{ErrorBody, ErrorCode};

use crate::service::ServiceError;

#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let body = e.body();
        if body.code == ErrorCode::Internal {
            tracing::error!(error = %e, "internal error");
        }
        ApiError {
            code: body.code,
            message: body.message,
        }
    }
}

pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        BadRequest | InvalidJson | InvalidEmail | ValidationFailed | SequenceHasNoSteps => {
            StatusCode::BAD_REQUEST
        }
        ForbiddenTarget => StatusCode::BAD_REQUEST,
        FieldTooLong | InvalidCharacters => StatusCode::BAD_REQUEST,
        PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        NotFound => StatusCode::NOT_FOUND,
        MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Unauthorized | InvalidToken | TokenExpired | InvalidSignature | StaleTimestamp => {
            StatusCode::UNAUTHORIZED
        }
        InvalidAlgorithm | UnknownKey | InvalidIssuer | InvalidAudience | MissingScope
        | TokenNotYetValid | UntrustedTenant | EmailNotVerified => StatusCode::UNAUTHORIZED,
        Forbidden | RequiresSeat | RequiresEnterprise | RequiresAdmin => StatusCode::FORBIDDEN,
        ContactAlreadyEnrolled
        | ContactUnsubscribed
        | ContactBounced
        | EnrollmentNotActive
        | EnrollmentNotPaused
        | SequenceDeleted
        | AddressSuppressed
        | Conflict => StatusCode::CONFLICT,
        RateLimited => StatusCode::TOO_MANY_REQUESTS,
        TenantClaimed => StatusCode::CONFLICT,
        ProofRequired => StatusCode::BAD_REQUEST,
        ProofInsufficient => StatusCode::FORBIDDEN,
        WorkerUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        Internal | Unknown => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        status_of(self.code)
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).json(ErrorBody {
            code: self.code,
            message: self.message.clone(),
        })
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
