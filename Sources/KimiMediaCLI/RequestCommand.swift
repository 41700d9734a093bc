import ArgumentParser
import Foundation
import KimiMedia

/// `kimi-media request`: a ready K2.6 chat request from text and media, optionally sent.
struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Write (and with --send, post) a chat request with images and videos, planned to stay under the 100 MB body limit.",
        discussion: """
            Each file is prepared first (images fitted to 4096×2160, videos as ≤ 2K H.264 MP4; --raw \
            sends them as they are). The planner computes the exact JSON body size and puts images \
            inline as base64 data URLs first; when the body would pass --max-body-bytes it uploads \
            videos, then images, largest first (Files API, once per content: see the upload cache). \
            The body is written to --out; the summary gives each item's delivery and bytes, the body \
            size and the offline token estimate. Uploads and --send need an API key.
            """
    )

    @Argument(help: "Image and video files.", completion: .file()) var paths: [String] = []
    @Option(help: "The user's text.") var prompt: String
    @Option(help: "A system message.") var system: String?
    @Option(help: "The model.") var model: String = "kimi-k2.6"
    @Flag(help: "Disable thinking (temperature then fixed at 0.6).") var noThinking = false
    @Option(help: "Where to write the request body.", completion: .file()) var out: String = "request.json"
    @Flag(help: "Post the request and print the answer.") var send = false
    @Flag(help: "With --send: print the answer as it arrives (server-sent events); reasoning goes to standard error.") var stream = false
    @Flag(help: "Put every item inline (fails if the body would pass the limit).") var inlineOnly = false
    @Flag(help: "Upload every item and reference it as ms://ID.") var uploadAll = false
    @Option(help: "The request body limit in bytes.") var maxBodyBytes: Int64 = APILimits.default.maxRequestBodyBytes
    @Option(help: "The answer's budget in tokens, reasoning included (max_completion_tokens; 0: leave it to the server).")
    var maxCompletionTokens: Int = PayloadPlanner.defaultMaxCompletionTokens
    @Flag(help: "Send the files as they are, without preparing them.") var raw = false
    @Option(help: "auto: a tall image (a screenshot) the model would shrink by more than 1.5× goes as full-width tiles it reads at full size, each after a caption naming its place; off: whole.")
    var tiles: TileChoice = .off
    @Option(help: "Videos: fit (an H.264 MP4 inside 2048×1080) | model (only the frames the model samples, at its size: the same tokens, a fraction of the bytes).")
    var video: VideoOutput = .fit
    @OptionGroup(title: "Token budgets (--segments: one video, its parts sent one request each, in order; the prompt says which part and its time range; bodies OUT-part-001.json, …)")
    var budgets: BudgetOptions
    @Flag(help: "Print the summary as one JSON object.") var json = false
    @OptionGroup var api: APIOptions
    @OptionGroup var limits: LimitOptions

    func validate() throws {
        guard !(inlineOnly && uploadAll) else { throw ValidationError("--inline-only and --upload-all exclude each other") }
        guard video == .fit || video == .model else { throw ValidationError("--video is fit or model for a request") }
        guard maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive") }
        guard !prompt.isEmpty || !paths.isEmpty else { throw ValidationError("give --prompt text or files") }
        guard maxCompletionTokens >= 0 else { throw ValidationError("--max-completion-tokens must be 0 or more") }
        guard !stream || send else { throw ValidationError("--stream needs --send") }
        guard !budgets.any || !raw else { throw ValidationError("--budget, --budget-total and --segments need the files prepared (not --raw)") }
        guard budgets.segments == nil || paths.count == 1 else {
            throw ValidationError("--segments takes exactly one video, prepared (not --raw): its parts go one to a request")
        }
    }

    func run() async throws { try await api.withClient(if: true, requireKey: false) { client in try await run(client) } }

    /// `client`: `nil` without a key (the request is still written when nothing must be uploaded).
    func run(_ client: MoonshotClient?) async throws {
        if send && client == nil { throw ValidationError("--send needs an API key: set MOONSHOT_API_KEY or pass --api-key-file") }
        // Before anything is prepared or uploaded: the model (always when it is not the default) and,
        // when the tier has requests to spare, the balance (``MoonshotClient/preflight``).
        if send, let client {
            do { try await client.preflight(model: model, isDefaultModel: model == PayloadPlanner().model) } catch {
                Output.printError("error: \(error)")
                throw ExitCode(1)
            }
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kimi-media-request-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let items: [PayloadItem], names: [String]
        let parts: [(PayloadItem, ManifestEntry.Output.Segment)]
        do throws(KimiMediaError) {
            try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            (items, names, parts) = try await prepareItems(scratch: scratch)
        } catch {
            Output.printError("error: \(error)")
            throw ExitCode(1)
        }
        guard !parts.isEmpty else {
            try await request(client, prompt: prompt, items: items, out: out, originals: names)
            return
        }
        // A split video: one request per part, in order, each prompt naming its part.
        for (item, part) in parts {
            let range = Self.clock(part.startSeconds) + "–" + Self.clock(part.endSeconds)
            let note = "(This is part \(part.index) of \(part.count) of the video: \(range).)"
            if !json { Output.print("== part \(part.index) of \(part.count) (\(range))") }
            let body = (out as NSString).deletingPathExtension + String(format: "-part-%03d.", part.index)
                + ((out as NSString).pathExtension.isEmpty ? "json" : (out as NSString).pathExtension)
            try await request(client, prompt: prompt.isEmpty ? note : prompt + "\n\n" + note, items: [item], out: body,
                              originals: ["\(paths[0]) (part \(part.index) of \(part.count))"])
        }
    }

    /// `h:mm:ss` or `m:ss` for a time in seconds.
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    /// Builds one request body (planned, uploads made), reports it and, with --send, posts it.
    func request(_ client: MoonshotClient?, prompt: String, items: [PayloadItem], out: String, originals: [String]) async throws {
        let mode: PayloadMode = inlineOnly ? .inlineOnly : uploadAll ? .uploadAll : .auto
        let planner = PayloadPlanner(model: model, thinking: !noThinking, limit: maxBodyBytes, mode: mode,
                                     maxCompletionTokens: maxCompletionTokens > 0 ? maxCompletionTokens : nil, stream: stream)
        let builder = RequestBuilder(planner: planner,
                                     client: client, cache: api.cache)
        let built: BuiltRequest
        do {
            built = try await builder.build(prompt: prompt.isEmpty ? nil : prompt, system: system, items: items, to: out)
        } catch {
            Output.printError("error: \(error)")
            throw ExitCode(1)
        }
        report(built, originals: originals)
        guard send, let client else { return }
        do throws(APIError) {
            let answer = stream ? try await streamAnswer(client, bodyPath: built.bodyPath) : try await client.chat(bodyFile: built.bodyPath)
            report(answer, built: built, printed: stream)
        } catch {
            Output.printError("error: \(error)")
            throw ExitCode(1)
        }
    }

    /// Prints the answer's text as it arrives (reasoning on standard error, apart), and returns the
    /// assembled answer.
    func streamAnswer(_ client: MoonshotClient, bodyPath: String) async throws(APIError) -> ChatResponse {
        var thinking = false
        do {
            for try await event in client.chatStream(bodyFile: bodyPath) {
                switch event {
                case .reasoning(let text):
                    if !thinking { Output.current.standardError("[thinking] ") }
                    thinking = true
                    Output.current.standardError(text)
                case .content(let text):
                    if thinking { Output.current.standardError("\n") }
                    thinking = false
                    Output.current.standardOutput(text)
                case .finished(let answer):
                    if thinking { Output.current.standardError("\n") }
                    Output.current.standardOutput("\n")
                    return answer
                }
            }
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.transport, message: "\(error)", endpoint: "POST /v1/chat/completions")
        }
        throw APIError(.invalidResponse, message: "the stream ended without an answer", endpoint: "POST /v1/chat/completions")
    }

    /// The answer (unless already printed), a warning when it was cut, and the usage.
    func report(_ answer: ChatResponse, built: BuiltRequest, printed: Bool) {
        let reasoning = answer.choices.first?.message.reasoningContent ?? ""
        let text = answer.text ?? ""
        if !printed {
            if !text.isEmpty {
                Output.print(text)
            } else if !reasoning.isEmpty {
                Output.print("(no answer text; the reasoning so far:)\n" + reasoning)
            } else {
                Output.print("(no text in the answer)")
            }
        }
        if answer.choices.first?.finishReason == "length" {
            Output.printError("warning: the answer was cut at the output budget (finish_reason \"length\")"
                + (text.isEmpty ? ", before any answer text" : "") + "; raise --max-completion-tokens (now "
                + (maxCompletionTokens > 0 ? String(maxCompletionTokens) : "the server's default") + ")")
        }
        if let usage = answer.usage {
            let cached = usage.cachedTokens.map { ", \($0) of them cached" } ?? ""
            Output.printError("usage: \(usage.promptTokens) prompt\(cached) + \(usage.completionTokens) completion tokens "
                + "(offline estimate of the prompt: \(built.tokens), difference \(usage.promptTokens - built.tokens))")
        }
    }

    /// Probes (and unless --raw, prepares) each file into `scratch`, one after another (each file
    /// gets every core).
    /// A video split by --segments comes back as its parts instead.
    /// Each item comes with the name the summary gives it: its path, or a tile's "path (tile 2 of 5)".
    func prepareItems(scratch: String) async throws(KimiMediaError) -> ([PayloadItem], [String], [(PayloadItem, ManifestEntry.Output.Segment)]) {
        var videoOptions = VideoOptions()
        videoOptions.frames = .none
        videoOptions.output = video
        var imageOptions = ImageOptions()
        imageOptions.tiles = tiles.options(threshold: TileOptions().threshold)
        let preparer = Preparer(probeOptions: limits.probeOptions, imageOptions: imageOptions, videoOptions: budgets.applied(to: videoOptions))
        let shares = try budgetShares(preparer)
        var items: [PayloadItem] = [], names: [String] = []
        for (i, path) in paths.enumerated() {
            var preparer = preparer
            preparer.videoOptions.budget = budgets.budget(share: shares[i])
            if raw {
                do throws(MediaError) {
                    let info = try Prober(options: limits.probeOptions).probe(path: path)
                    items.append(PayloadItem(path: path, format: info.format, bytes: info.bytes, tokens: try TokenEstimate.of(info).tokens))
                    names.append(path)
                } catch { throw .media(error) }
                continue
            }
            let prepared = try await preparer.prepare(URL(fileURLWithPath: path), workFolder: URL(fileURLWithPath: scratch))
            prepared.keepFiles()  // the items below point into it; `scratch` goes as a whole at the end
            if !json { for note in Notes.worthSaying(prepared.diagnostics) { Output.printError("note: \(path): \(note)") } }
            if !prepared.parts.isEmpty {
                return (items, names, try prepared.parts.map { part throws(KimiMediaError) in
                    (try part.payloadItem(storingImageAs: scratch + "/\(i)"), part.segment!)
                })
            }
            let sent = try prepared.payloadItems(storingImagesAs: scratch + "/\(i)")
            items += sent
            names += sent.count == 1 ? [path] : sent.indices.map { "\(path) (tile \($0 + 1) of \(sent.count))" }
        }
        return (items, names, [])
    }

    /// With --budget-total: each video's share (by index in `paths`), after the prompt's text
    /// (``RequestTokens``, media counted apart) and the images (their probed estimates).
    func budgetShares(_ preparer: Preparer) throws(KimiMediaError) -> [Int: Int] {
        guard let budgetTotal = budgets.budgetTotal else { return [:] }
        let messages = (system.map { [ChatMessage.system($0)] } ?? []) + [ChatMessage.user(prompt.isEmpty ? [] : [.text(prompt)])]
        do throws(MediaError) {
            let infos = try paths.map { path throws(MediaError) in try Prober(options: limits.probeOptions).probe(path: path) }
            let budgets = try preparer.videoBudgets(for: infos, total: budgetTotal, fixed: RequestTokens.count(messages) { _ in 0 })
            return Dictionary(budgets.enumerated().compactMap { i, budget in budget.map { (i, $0) } }, uniquingKeysWith: min)
        } catch { throw .media(error) }
    }

    func report(_ built: BuiltRequest, originals: [String]) {
        if json {
            let summary = RequestSummary(
                body: built.bodyPath, bodyBytes: built.bodyBytes, limit: built.plan.limit, tokens: built.tokens,
                items: built.plan.entries.enumerated().map { i, e in
                    RequestSummary.Item(path: originals[i], format: e.item.format.rawValue, bytes: e.item.bytes, delivery: e.delivery.rawValue,
                                        bodyBytes: e.bodyBytes, tokens: e.item.tokens, fileID: built.uploads[i]?.id,
                                        cached: built.uploads[i] == nil ? nil : built.reused.contains(i))
                })
            if let data = try? JSONEncoder.canonical().encode(summary) { Output.print(String(decoding: data, as: UTF8.self)) }
            return
        }
        for (i, entry) in built.plan.entries.enumerated() {
            let how = entry.delivery == .inline ? "inline" : "upload \(built.uploads[i]?.reference ?? "?")\(built.reused.contains(i) ? " (cached)" : "")"
            Output.print("\(how)  \(entry.item.format.rawValue) \(entry.item.bytes) B → \(entry.bodyBytes) B in the body, "
                + "\(entry.item.tokens.map(String.init) ?? "?") tokens  \(originals[i])")
        }
        Output.print("wrote \(built.bodyPath): \(built.bodyBytes) bytes (limit \(built.plan.limit)); ≈ \(built.tokens) prompt tokens offline")
    }
}

struct RequestSummary: Encodable {
    struct Item: Encodable {
        var path: String
        var format: String
        var bytes: Int64
        var delivery: String
        var bodyBytes: Int64
        var tokens: Int?
        var fileID: String?
        var cached: Bool?
    }

    var body: String
    var bodyBytes: Int64
    var limit: Int64
    var tokens: Int
    var items: [Item]
}
