import KimiAPI
import MediaCore

/// What can go wrong at the façade, with the inner error whole — a ``MediaError`` keeps its file,
/// stage, code and cause; an `APIError` its endpoint, status and type (never the key).
public enum KimiMediaError: Error, Sendable, CustomStringConvertible {
    /// A file could not be read, probed, decoded, encoded or written.
    case media(MediaError)
    /// The API refused the call or could not be reached.
    case api(APIError)
    /// The request cannot be built: a rule of the API, the body limit, an upload without a client.
    case request(RequestBuildError)
    /// Options out of range (the parameter is named).
    case options(OptionsError)
    /// The task was cancelled while `path` was being prepared; nothing it made is left behind.
    case cancelled(path: String?)

    /// The file the error is about, when there is one.
    public var path: String? {
        switch self {
        case .media(let error): error.path
        case .cancelled(let path): path
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .media(let error): error.description
        case .api(let error): error.description
        case .request(let error): error.description
        case .options(let error): "invalid option: \(error)"
        case .cancelled(let path): "cancelled" + (path.map { " while preparing \($0)" } ?? "")
        }
    }
}
