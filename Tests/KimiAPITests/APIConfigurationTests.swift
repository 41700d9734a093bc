import Foundation
import Testing
import TestSupport

@testable import KimiAPI

@Suite("API configuration")
struct APIConfigurationTests {
    @Test func defaultsToTheGlobalHost() throws {
        let config = try APIConfiguration.resolve(environment: [:])
        #expect(config.baseURL.absoluteString == "https://api.moonshot.ai/v1")
        #expect(config.apiKey == nil)
        #expect(config.url("files").absoluteString == "https://api.moonshot.ai/v1/files")
    }

    @Test func environmentAndOptionsResolveInOrder() throws {
        let env = ["MOONSHOT_API_KEY": "sk-env\n", "MOONSHOT_BASE_URL": "https://api.moonshot.cn/v1"]
        let config = try APIConfiguration.resolve(environment: env)
        #expect(config.baseURL.host == "api.moonshot.cn")
        #expect(config.apiKey?.authorizationHeaderValue == "Bearer sk-env")
        let folder = try TemporaryFolder()
        let keyFile = try folder.write("key", Array("  sk-file \n".utf8))
        let explicit = try APIConfiguration.resolve(baseURL: "http://127.0.0.1:8080/v1", apiKeyFile: keyFile, environment: env)
        #expect(explicit.baseURL.port == 8080)
        #expect(explicit.apiKey?.authorizationHeaderValue == "Bearer sk-file")
    }

    /// The config file raises the tier for every command; the environment and options still win; a
    /// broken file is an error naming it, an absent one is fine.
    @Test func configFileSitsBelowTheEnvironment() throws {
        let folder = try TemporaryFolder()
        let file = try folder.write("config.json", Array(#"{"base_url": "https://api.moonshot.cn/v1", "max_concurrency": 4, "rpm": "unlimited"}"#.utf8))
        let fromFile = try APIConfiguration.resolve(environment: ["KIMI_MEDIA_CONFIG": file])
        #expect(fromFile.baseURL.host == "api.moonshot.cn")
        #expect(fromFile.rateLimits.concurrency == 4 && fromFile.rateLimits.requestsPerMinute == nil)
        let overridden = try APIConfiguration.resolve(requestsPerMinute: "20", environment: ["KIMI_MEDIA_CONFIG": file, "MOONSHOT_MAX_CONCURRENCY": "2"])
        #expect(overridden.rateLimits.concurrency == 2 && overridden.rateLimits.requestsPerMinute == 20)
        let xdg = try APIConfiguration.resolve(environment: ["XDG_CONFIG_HOME": folder.path + "/nothing-here"])
        #expect(xdg.rateLimits == .entryTier)
        let broken = try folder.write("broken.json", Array("[1, 2]".utf8))
        #expect(throws: ConfigurationError.invalidConfigFile(broken)) { try APIConfiguration.resolve(environment: ["KIMI_MEDIA_CONFIG": broken]) }
    }

    @Test func plainHTTPOnlyForLoopback() throws {
        for url in ["http://127.0.0.1:1/v1", "http://localhost/v1", "http://[::1]:9/v1", "https://example.org/v1"] {
            #expect(throws: Never.self) { try APIConfiguration.resolve(baseURL: url, environment: [:]) }
        }
        #expect(throws: ConfigurationError.insecureBaseURL("http://api.moonshot.ai/v1")) {
            try APIConfiguration.resolve(baseURL: "http://api.moonshot.ai/v1", environment: [:])
        }
        #expect(throws: ConfigurationError.self) { try APIConfiguration.resolve(baseURL: "ftp://x/v1", environment: [:]) }
        #expect(throws: ConfigurationError.self) { try APIConfiguration.resolve(baseURL: "not a url", environment: [:]) }
    }

    @Test func keyFileProblemsAreNamed() throws {
        let folder = try TemporaryFolder()
        let empty = try folder.write("empty", Array(" \n".utf8))
        #expect(throws: ConfigurationError.emptyKeyFile(empty)) { try APIConfiguration.resolve(apiKeyFile: empty, environment: [:]) }
        #expect(throws: ConfigurationError.unreadableKeyFile("/nonexistent/key")) {
            try APIConfiguration.resolve(apiKeyFile: "/nonexistent/key", environment: [:])
        }
    }

    /// The key never appears in any printed form of the values that hold it.
    @Test func keyIsNeverPrinted() throws {
        let secret = "sk-VERYSECRET123"
        let key = try #require(APIKey(secret))
        let config = try APIConfiguration(apiKey: key)
        for text in [String(describing: key), String(reflecting: key), "\(key)", String(describing: config),
                     String(reflecting: config), "\([key])"] {
            #expect(!text.contains("VERYSECRET"), "leaked in: \(text)")
        }
        #expect(key.fingerprint.count == 16)
        #expect(key.fingerprint == APIKey(secret + "\n")!.fingerprint)
        #expect(key.fingerprint != APIKey("sk-other")!.fingerprint)
        #expect(APIKey("  ") == nil)
    }
}
