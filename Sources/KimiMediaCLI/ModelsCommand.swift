import ArgumentParser
import Foundation
import KimiMedia

/// `kimi-media models`: the models the key may use (`GET /v1/models`).
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List the models this key may use, with their context length and what they take (GET /v1/models).",
        discussion: """
            kimi-media's own token arithmetic knows the profiles marked 'profile'; a model the API no \
            longer lists (kimi-k2.5 was retired) fails `request --send` before anything is uploaded.
            """
    )

    @Flag(help: "One JSON object per model and line.") var json = false
    @OptionGroup var api: APIOptions

    func run() async throws { try await api.withClient { client in try await run(client) } }

    func run(_ client: MoonshotClient) async throws {
        let models: [ModelInfo]
        do { models = try await client.models() } catch { throw FilesCommand.fail(error) }
        let known = Set(ModelProfiles.builtIn.models)
        for model in models.sorted(by: { $0.id < $1.id }) {
            if json {
                if let data = try? JSONEncoder.canonical().encode(model) { Output.print(String(decoding: data, as: UTF8.self)) }
                continue
            }
            func flag(_ value: Bool?, _ name: String) -> String { value == true ? name : value == false ? "-" : "?" }
            let takes = [flag(model.supportsImageIn, "image"), flag(model.supportsVideoIn, "video"), flag(model.supportsReasoning, "reasoning")]
            Output.print("\(model.id)  \(model.contextLength.map { "\($0) tokens" } ?? "context ?")  \(takes.joined(separator: " "))"
                + (known.contains(model.id) ? "  profile" : ""))
        }
        let retired = known.subtracting(models.map(\.id)).sorted()
        if !json && !retired.isEmpty {
            Output.printError("not offered (retired, or not in this key's tier): \(retired.joined(separator: ", "))")
        }
    }
}
