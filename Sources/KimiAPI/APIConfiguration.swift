import Foundation

/// Where and how to reach the Moonshot API.
///
/// Resolution order: explicit values, then the environment (`MOONSHOT_API_KEY`,
/// `MOONSHOT_BASE_URL`, `MOONSHOT_MAX_CONCURRENCY`, `MOONSHOT_RPM`), then the config file
/// (``ConfigFile``: base URL and rate limits, never the key), then the default host
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
        let file = try ConfigFile.load(environment: environment)
        let urlText = baseURL ?? environment["MOONSHOT_BASE_URL"] ?? file.baseURL
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
        var settings = environment
        if settings["MOONSHOT_MAX_CONCURRENCY"] == nil, let value = file.maxConcurrency { settings["MOONSHOT_MAX_CONCURRENCY"] = value }
        if settings["MOONSHOT_RPM"] == nil, let value = file.rpm { settings["MOONSHOT_RPM"] = value }
        let limits = try RateLimits.resolve(concurrency: concurrency, requestsPerMinute: requestsPerMinute, baseURL: url,
                                            environment: settings)
        return try APIConfiguration(baseURL: url, apiKey: key, rateLimits: limits)
    }

    /// The URL of an endpoint below the base, e.g. `files` or `tokenizers/estimate-token-count`; a
    /// query after `?` (`files?limit=5`, relayed by the gateway) stays a query.
    public func url(_ path: String) -> URL {
        guard let mark = path.firstIndex(of: "?") else { return baseURL.appendingPathComponent(path) }
        var components = URLComponents(url: baseURL.appendingPathComponent(String(path[..<mark])), resolvingAgainstBaseURL: false)
        components?.percentEncodedQuery = String(path[path.index(after: mark)...])
        return components?.url ?? baseURL.appendingPathComponent(path)
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

    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }
}

/// The settings file for a tier above the entry one, so every command and library call picks it up
/// without options: `$KIMI_MEDIA_CONFIG`, else `$XDG_CONFIG_HOME/kimi-media/config.json`, else
/// `~/.config/kimi-media/config.json`; absent is fine. JSON with any of `base_url`,
/// `max_concurrency` and `rpm` (a number or `"unlimited"`). The key is not read from it: keys
/// stay in `MOONSHOT_API_KEY` or a key file.
public struct ConfigFile: Sendable, Hashable {
    public var baseURL: String?
    public var maxConcurrency: String?
    public var rpm: String?

    public static func path(environment: [String: String]) -> String {
        if let explicit = environment["KIMI_MEDIA_CONFIG"], !explicit.isEmpty { return explicit }
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        return base + "/kimi-media/config.json"
    }

    public static func load(environment: [String: String]) throws(ConfigurationError) -> ConfigFile {
        let path = path(environment: environment)
        guard let data = FileManager.default.contents(atPath: path) else { return ConfigFile() }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw .invalidConfigFile(path) }
        func text(_ key: String) throws(ConfigurationError) -> String? {
            switch json[key] {
            case nil, is NSNull: return nil
            case let string as String: return string
            case let number as NSNumber: return number.stringValue
            default: throw .invalidConfigFile(path)
            }
        }
        return ConfigFile(baseURL: try text("base_url"), maxConcurrency: try text("max_concurrency"), rpm: try text("rpm"))
    }
}

/// Why an ``APIConfiguration`` could not be made. Never contains a key.
public enum ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidBaseURL(String)
    case insecureBaseURL(String)
    case unreadableKeyFile(String)
    case emptyKeyFile(String)
    case invalidLimit(String, String)
    case invalidConfigFile(String)

    public var description: String {
        switch self {
        case .invalidBaseURL(let url): "invalid base URL '\(url)': expected https://HOST/v1"
        case .insecureBaseURL(let url): "refusing plain http for '\(url)': use https (http is allowed only for loopback hosts)"
        case .unreadableKeyFile(let path): "cannot read the API key file '\(path)'"
        case .emptyKeyFile(let path): "the API key file '\(path)' is empty"
        case .invalidLimit(let what, let text): "invalid \(what) limit '\(text)': expected a positive number or 'unlimited'"
        case .invalidConfigFile(let path): "the config file '\(path)' is not a JSON object of base_url, max_concurrency and rpm"
        }
    }
}
