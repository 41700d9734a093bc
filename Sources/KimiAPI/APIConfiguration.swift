import Foundation

/// Where and how to reach the Moonshot API.
///
/// Resolution order: explicit values, then the environment (`MOONSHOT_API_KEY`,
/// `MOONSHOT_BASE_URL`, `MOONSHOT_MAX_CONCURRENCY`, `MOONSHOT_RPM`), then the default host
/// `https://api.moonshot.ai/v1` and the entry tier's rate limits. `https://api.moonshot.cn/v1`
/// works the same (keys are not interchangeable between the two). Plain `http` is refused except
/// for loopback hosts, which is how the tests' stand-in server is reached.
public struct APIConfiguration: Sendable, Hashable {
    public static let defaultBaseURL = URL(string: "https://api.moonshot.ai/v1")!

    public var baseURL: URL
    public var apiKey: APIKey?
    /// How hard the client may press the API (default: the entry tier, or no limit on loopback).
    public var rateLimits: RateLimits

    public init(baseURL: URL = APIConfiguration.defaultBaseURL, apiKey: APIKey? = nil, rateLimits: RateLimits? = nil) throws(ConfigurationError) {
        try Self.validate(baseURL)
        self.baseURL = baseURL
        self.apiKey = apiKey
        // Without explicit limits: the entry tier, or none on loopback (a stand-in or local proxy).
        self.rateLimits = rateLimits ?? (Self.isLoopback(baseURL.host?.lowercased() ?? "") ? .unlimited : .entryTier)
    }

    /// Resolves the configuration from options and the environment. `apiKeyFile` is read whole
    /// and trimmed; it wins over `MOONSHOT_API_KEY`.
    public static func resolve(
        baseURL: String? = nil, apiKeyFile: String? = nil, concurrency: String? = nil, requestsPerMinute: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> APIConfiguration {
        let urlText = baseURL ?? environment["MOONSHOT_BASE_URL"]
        var url = defaultBaseURL
        if let urlText {
            guard let parsed = URL(string: urlText), parsed.host != nil else { throw .invalidBaseURL(urlText) }
            url = parsed
        }
        var key: APIKey?
        if let apiKeyFile {
            guard let text = try? String(contentsOfFile: apiKeyFile, encoding: .utf8) else {
                throw .unreadableKeyFile(apiKeyFile)
            }
            guard let fileKey = APIKey(text) else { throw .emptyKeyFile(apiKeyFile) }
            key = fileKey
        } else if let value = environment["MOONSHOT_API_KEY"] {
            key = APIKey(value)
        }
        let limits = try RateLimits.resolve(concurrency: concurrency, requestsPerMinute: requestsPerMinute, baseURL: url,
                                            environment: environment)
        return try APIConfiguration(baseURL: url, apiKey: key, rateLimits: limits)
    }

    /// The URL of an endpoint below the base, e.g. `files` or `tokenizers/estimate-token-count`.
    public func url(_ path: String) -> URL {
        baseURL.appendingPathComponent(path)
    }

    static func validate(_ url: URL) throws(ConfigurationError) {
        guard let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else {
            throw .invalidBaseURL(url.absoluteString)
        }
        switch scheme {
        case "https": return
        case "http" where isLoopback(host): return
        case "http": throw .insecureBaseURL(url.absoluteString)
        default: throw .invalidBaseURL(url.absoluteString)
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}

/// Why an ``APIConfiguration`` could not be made. Never contains a key.
public enum ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidBaseURL(String)
    case insecureBaseURL(String)
    case unreadableKeyFile(String)
    case emptyKeyFile(String)
    case invalidLimit(String, String)

    public var description: String {
        switch self {
        case .invalidBaseURL(let url): "invalid base URL '\(url)': expected https://HOST/v1"
        case .insecureBaseURL(let url): "refusing plain http for '\(url)': use https (http is allowed only for loopback hosts)"
        case .unreadableKeyFile(let path): "cannot read the API key file '\(path)'"
        case .emptyKeyFile(let path): "the API key file '\(path)' is empty"
        case .invalidLimit(let what, let text): "invalid \(what) limit '\(text)': expected a positive number or 'unlimited'"
        }
    }
}
