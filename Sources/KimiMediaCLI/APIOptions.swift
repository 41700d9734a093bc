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
    var attempts: Int = 4

    @Option(help: "Seconds allowed for one call (uploads get 900).")
    var timeout: Double = 120

    @Option(help: "The upload cache (content hash → file id).", completion: .file())
    var uploadCache: String?

    @Option(help: ArgumentHelp("Requests in flight at once (default: $MOONSHOT_MAX_CONCURRENCY, else 1, the entry tier's; 'unlimited').",
                               valueName: "N"))
    var maxConcurrency: String?

    @Option(help: ArgumentHelp("Requests started per minute (default: $MOONSHOT_RPM, else 3, the entry tier's; 'unlimited').",
                               valueName: "N"))
    var rpm: String?

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

    /// A client, or a usage error naming what is missing.
    func client(requireKey: Bool = true) throws -> MoonshotClient {
        let configuration = try configuration()
        if requireKey && configuration.apiKey == nil {
            throw ValidationError("no API key: set MOONSHOT_API_KEY or pass --api-key-file")
        }
        // Waits for the rate limit are said on standard error, so an idle minute is not a mystery.
        return MoonshotClient(configuration: configuration, retry: RetryPolicy(maxAttempts: attempts),
                              timeouts: Timeouts(request: timeout), onWait: { Output.printError($0) })
    }

    var cache: UploadCache { UploadCache(path: uploadCache ?? UploadCache.defaultPath()) }
}
