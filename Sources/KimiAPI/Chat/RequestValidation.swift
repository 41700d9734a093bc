/// A rule of the API a request breaks, found before anything is sent: the field (a JSON path such
/// as `messages[2].reasoning_content`), what is wrong and what is allowed.
public struct RequestViolation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var field: String
    public var message: String
    public var allowed: String

    public init(field: String, message: String, allowed: String) {
        self.field = field
        self.message = message
        self.allowed = allowed
    }

    public var description: String { "\(field): \(message) (allowed: \(allowed))" }
}

extension ChatRequest {
    /// Models whose sampling parameters are fixed (docs/kimi-api.md §4.4).
    static func isK2Multimodal(_ model: String) -> Bool { model.hasPrefix("kimi-k2.6") || model.hasPrefix("kimi-k2.5") }

    /// Whether thinking is on: the default for K2.5/K2.6 unless `thinking.type` is `disabled`.
    public var thinkingEnabled: Bool { thinking?.type != .disabled }

    /// Every rule this request breaks (empty: it may be sent). K2.5/K2.6: temperature is 1.0 with
    /// thinking and 0.6 without, top_p 0.95, n 1, penalties 0 — all "cannot be modified", so any
    /// other value is refused; with thinking on, tool_choice is auto|none and every assistant
    /// message with tool calls carries its reasoning_content. For every model: messages and their
    /// content are not empty, media URLs are data URLs of accepted types or `ms://` ids, at most 5
    /// stop strings of at most 32 bytes, at most 128 tools with valid names.
    public func violations() -> [RequestViolation] {
        var found: [RequestViolation] = []
        func add(_ field: String, _ message: String, _ allowed: String) {
            found.append(RequestViolation(field: field, message: message, allowed: allowed))
        }
        if model.isEmpty { add("model", "is empty", "a model id such as kimi-k2.6") }
        if Self.isK2Multimodal(model) {
            let fixedTemperature = thinkingEnabled ? 1.0 : 0.6
            if let temperature, temperature != fixedTemperature {
                add("temperature", "is \(temperature); \(model) does not allow changing it",
                    "\(fixedTemperature) (thinking \(thinkingEnabled ? "on" : "off")) or omitted")
            }
            if let topP, topP != 0.95 { add("top_p", "is \(topP); \(model) does not allow changing it", "0.95 or omitted") }
            if let n, n != 1 { add("n", "is \(n); \(model) does not allow changing it", "1 or omitted") }
            if let presencePenalty, presencePenalty != 0 {
                add("presence_penalty", "is \(presencePenalty); \(model) does not allow changing it", "0 or omitted")
            }
            if let frequencyPenalty, frequencyPenalty != 0 {
                add("frequency_penalty", "is \(frequencyPenalty); \(model) does not allow changing it", "0 or omitted")
            }
            if thinkingEnabled, let toolChoice, toolChoice != .auto, toolChoice != .none {
                add("tool_choice", "is \(toolChoice.text), which thinking mode refuses", "auto or none (or thinking disabled)")
            }
            if let keep = thinking?.keep {
                if !model.hasPrefix("kimi-k2.6") { add("thinking.keep", "is only for kimi-k2.6", "omitted") }
                else if keep != "all" { add("thinking.keep", "is '\(keep)'", "all or omitted") }
            }
        } else if thinking != nil {
            add("thinking", "is a kimi-k2.5/k2.6 field", "omitted for \(model)")
        }
        if messages.isEmpty { add("messages", "is empty", "at least one message") }
        for (i, message) in messages.enumerated() {
            let path = "messages[\(i)]"
            let hasToolCalls = !(message.toolCalls ?? []).isEmpty
            if message.content.map(\.isEmpty) ?? !hasToolCalls {
                add("\(path).content", "is empty", "text or at least one part")
            }
            if message.role == .assistant, hasToolCalls, thinkingEnabled, Self.isK2Multimodal(model),
               (message.reasoningContent ?? "").isEmpty {
                add("\(path).reasoning_content", "is missing on an assistant tool-call message while thinking is on",
                    "the reasoning_content the model returned with these tool calls")
            }
            if message.role == .tool, message.toolCallID == nil { add("\(path).tool_call_id", "is missing", "the id of the tool call answered") }
            guard case .parts(let parts) = message.content else { continue }
            for (j, part) in parts.enumerated() {
                switch part {
                case .text(let text) where text.isEmpty:
                    add("\(path).content[\(j)].text", "is empty", "non-empty text")
                case .imageURL(let url):
                    if let problem = Self.mediaURLProblem(url, kind: "image", types: ["png", "jpeg", "jpg", "webp", "gif"]) {
                        add("\(path).content[\(j)].image_url.url", problem, "data:image/(png|jpeg|webp|gif);base64,… or ms://FILE_ID")
                    }
                case .videoURL(let url):
                    if let problem = Self.mediaURLProblem(url, kind: "video", types: ["mp4"]) {
                        add("\(path).content[\(j)].video_url.url", problem, "data:video/mp4;base64,… or ms://FILE_ID")
                    }
                default: break
                }
            }
        }
        if let stop {
            if stop.count > 5 { add("stop", "has \(stop.count) strings", "at most 5") }
            for (i, s) in stop.enumerated() where s.utf8.count > 32 { add("stop[\(i)]", "is \(s.utf8.count) bytes", "at most 32 bytes") }
        }
        if let tools {
            if tools.count > 128 { add("tools", "has \(tools.count) tools", "at most 128") }
            for (i, tool) in tools.enumerated() where !Self.validFunctionName(tool.function.name) {
                add("tools[\(i)].function.name", "'\(tool.function.name)' is not a valid name", "^[a-zA-Z_][a-zA-Z0-9-_]{2,63}$")
            }
        }
        if let maxCompletionTokens, maxCompletionTokens < 1 { add("max_completion_tokens", "is \(maxCompletionTokens)", "at least 1") }
        return found
    }

    /// What is wrong with a media part's URL, if anything. Images: the four documented types (and
    /// `jpg`, which the model's reader, never looking at the type, takes as well: docs/kimi-api.md §2.3). Video:
    /// inline only as `data:video/mp4` (the only prefix the reader strips, docs/kimi-api.md §3.1); other
    /// containers are uploaded.
    static func mediaURLProblem(_ url: String, kind: String, types: Set<String>) -> String? {
        if url.hasPrefix("ms://") { return url.count > 5 ? nil : "has no file id" }
        guard url.hasPrefix("data:\(kind)/") else {
            return url.hasPrefix("http") ? "is a web URL; Moonshot takes only data URLs and ms:// ids" : "is not a data URL or ms:// id"
        }
        let header = url.prefix { $0 != "," }
        guard header.hasSuffix(";base64"), url.count > header.count + 1 else { return "is not a base64 data URL" }
        let type = header.dropFirst("data:\(kind)/".count).dropLast(";base64".count)
        return types.contains(String(type)) ? nil : "has the type \(kind)/\(type)"
            + (kind == "video" ? "; inline video must be MP4 (upload others)" : "")
    }

    static func validFunctionName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...64).contains(bytes.count) else { return false }
        func letter(_ b: UInt8) -> Bool { (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95 }
        func digit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
        return letter(bytes[0]) && bytes.dropFirst().allSatisfy { letter($0) || digit($0) || $0 == 45 }
    }
}
