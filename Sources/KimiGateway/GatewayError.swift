import Foundation
import HTTPTypes
import Hummingbird
import KimiAPI
import KimiMedia

/// An answer the gateway gives itself, in the API's own error shape:
/// `{"error":{"message":…,"type":…,"param":…}}` (`param`: the field at fault, as OpenAI's clients read it).
struct GatewayError: Error, Sendable {
    var status: HTTPResponse.Status
    var type: String
    var message: String
    var param: String?
    var retryAfter: Double?

    init(_ status: HTTPResponse.Status, _ type: String, _ message: String, param: String? = nil,
         retryAfter: Double? = nil) {
        self.status = status
        self.type = type
        self.message = message
        self.param = param
        self.retryAfter = retryAfter
    }

    static let insufficientStorage = HTTPResponse.Status(code: 507)

    static func invalid(_ message: String, param: String? = nil) -> GatewayError { GatewayError(.badRequest, "invalid_request_error", message, param: param) }

    static func tooLarge(_ message: String) -> GatewayError { GatewayError(.contentTooLarge, "request_too_large_error", message) }

    static func busy(_ message: String, retryAfter: Double) -> GatewayError {
        GatewayError(.tooManyRequests, "rate_limit_reached_error", message, retryAfter: max(1, retryAfter.rounded(.up)))
    }

    /// The upstream's failure as its client saw it: status, type and message passed on (the
    /// message was redacted of the key by the client); a transport failure or a timeout is a 502/504.
    init(_ error: APIError) {
        switch error.kind {
        case .http:
            self.init(HTTPResponse.Status(code: error.status ?? 502), error.type ?? "upstream_error", error.message, retryAfter: error.retryAfter)
        case .timeout: self.init(.gatewayTimeout, "upstream_timeout_error", "the Moonshot API did not answer in time: \(error.message)")
        case .invalidRequest:
            self.init(.badRequest, "invalid_request_error", error.message, param: error.violations.first?.field)
        case .missingKey: self.init(.internalServerError, "server_error", "the gateway has no upstream key")
        case .transport, .invalidResponse, .io:
            self.init(.badGateway, "upstream_error", "the Moonshot API cannot be reached: \(error.message)")
        }
    }

    /// A preparation's failure, naming the field whose media it was.
    init(_ error: KimiMediaError, field: String) {
        switch error {
        case .media(let media):
            self.init(.badRequest, "invalid_request_error", "\(field): the media cannot be prepared (\(media.stage.rawValue)): \(media.message)",
                      param: field)
        case .api(let api): self.init(api)
        case .request(let request):
            self.init(.badRequest, "invalid_request_error", request.description, param: request.violations.first?.field)
        case .options(let options): self.init(.internalServerError, "server_error", "the gateway's options: \(options)")
        case .cancelled: self.init(HTTPResponse.Status(code: 499), "cancelled", "the request was cancelled")
        }
    }

    var body: Data {
        var error: [String: String] = ["message": message, "type": type]
        if let param { error["param"] = param }
        return (try? JSONEncoder.canonical().encode(["error": error])) ?? Data()
    }

    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let retryAfter { headers[.retryAfter] = String(Int(retryAfter)) }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
