import ArgumentParser
import Foundation
import KimiMedia

/// How to reach the Moonshot API: shared by `estimate --remote`, `files` and `request`.
struct APIOptions: ParsableArguments {
    @Option(help: "API base URL (default: $MOONSHOT_BASE_URL, else https://api.moonshot.ai/v1; https://api.moonshot.cn/v1 works the same).")
    var baseURL: String?

    @Option(help: "Read the API key from this file (default: $MOONSHOT_API_KEY).", completion: .file())
    var apiKeyFile: String?

    @Option(help: "Attempts per call for rate limits, 5xx and dropped connections.")
    var attempts: Int = RetryPolicy().maxAttempts

    @Option(help: "Seconds allowed for one call (uploads get 900).")
    var timeout: Double = Timeouts().request

    @Option(help: "The upload cache (content hash → file id).", completion: .file())
    var uploadCache: String?

    @Option(help: ArgumentHelp("Requests in flight at once (default: $MOONSHOT_MAX_CONCURRENCY, else 1, the entry tier's; 'unlimited').",
                               valueName: "N"))
    var maxConcurrency: String?

    @Option(help: ArgumentHelp("Requests started per minute (default: $MOONSHOT_RPM, else 3, the entry tier's; 'unlimited').",
                               valueName: "N"))
    var rpm: String?

    /// Every option at its default (``CommonCommandLine``).
    static var defaults: APIOptions {
        var options = APIOptions()
        options.baseURL = nil
        options.apiKeyFile = nil
        options.attempts = RetryPolicy().maxAttempts
        options.timeout = Timeouts().request
        options.uploadCache = nil
        options.maxConcurrency = nil
        options.rpm = nil
        return options
    }

    func validate() throws {
        guard attempts >= 1 else { throw ValidationError("--attempts must be at least 1") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
    }

    func configuration() throws -> APIConfiguration {
        do {
            return try APIConfiguration.resolve(baseURL: baseURL, apiKeyFile: apiKeyFile, concurrency: maxConcurrency, requestsPerMinute: rpm)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Runs `body` with a client (shut down when it ends), or fails with a usage error naming what is
    /// missing.
    func withClient<Value>(_ body: (MoonshotClient) async throws -> Value) async throws -> Value {
        let configuration = try configuration()
        guard configuration.apiKey != nil else { throw ValidationError("no API key: set MOONSHOT_API_KEY or pass --api-key-file") }
        return try await withClient(configuration) { client in try await body(client!) }
    }

    /// Runs `body` with a client when `wanted` and a key is configured (`nil` otherwise), shut down
    /// when it ends; `wanted` without a key is a usage error.
    func withClient<Value>(if wanted: Bool, requireKey: Bool = true, _ body: (MoonshotClient?) async throws -> Value) async throws -> Value {
        guard wanted else { return try await body(nil) }
        let configuration = try configuration()
        if configuration.apiKey == nil {
            if requireKey { throw ValidationError("no API key: set MOONSHOT_API_KEY or pass --api-key-file") }
            return try await body(nil)
        }
        return try await withClient(configuration, body)
    }

    private func withClient<Value>(_ configuration: APIConfiguration, _ body: (MoonshotClient?) async throws -> Value) async throws -> Value {
        // Waits for the rate limit are said on standard error, so an idle minute is not a mystery.
        try await withMoonshotClient(configuration, retry: RetryPolicy(maxAttempts: attempts), timeouts: Timeouts(request: timeout),
                                     onWait: { Output.printError($0) }) { client in try await body(client) }
    }

    var cache: UploadCache { UploadCache(path: uploadCache ?? UploadCache.defaultPath()) }
}
