import Foundation
import MediaCore

/// One part of a message's content (docs/kimi-api.md §4.4): text, an image or a video. Media URLs
/// are a base64 data URL or `ms://<file_id>`. Encodes as `{"type":"image_url","image_url":{"url":…}}`;
/// decodes that or the bare-string form.
public enum ContentPart: Sendable, Hashable, Codable {
    case text(String)
    case imageURL(String)
    case videoURL(String)

    private enum Keys: String, CodingKey { case type, text, image_url, video_url }
    private struct URLObject: Codable, Hashable { var url: String }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let type = try c.decode(String.self, forKey: .type)
        func url(_ key: Keys) throws -> String {
            if let text = try? c.decode(String.self, forKey: key) { return text }
            return try c.decode(URLObject.self, forKey: key).url
        }
        switch type {
        case "text": self = .text(try c.decode(String.self, forKey: .text))
        case "image_url": self = .imageURL(try url(.image_url))
        case "video_url": self = .videoURL(try url(.video_url))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown content part type '\(type)'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case .text(let text):
            try c.encode("text", forKey: .type)
            try c.encode(text, forKey: .text)
        case .imageURL(let url):
            try c.encode("image_url", forKey: .type)
            try c.encode(URLObject(url: url), forKey: .image_url)
        case .videoURL(let url):
            try c.encode("video_url", forKey: .type)
            try c.encode(URLObject(url: url), forKey: .video_url)
        }
    }
}

/// A message's content: a string or an array of parts (never an array serialised into a string,
/// docs/kimi-api.md §4.4).
public enum MessageContent: Sendable, Hashable, Codable {
    case text(String)
    case parts([ContentPart])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) { self = .text(text) } else { self = .parts(try c.decode([ContentPart].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .text(let text): try c.encode(text)
        case .parts(let parts): try c.encode(parts)
        }
    }

    public var isEmpty: Bool {
        switch self {
        case .text(let text): text.isEmpty
        case .parts(let parts): parts.isEmpty
        }
    }
}

/// A function call the model made (`tool_calls[]`), echoed back in later assistant messages.
public struct ToolCall: Sendable, Hashable, Codable {
    /// The called function's name and its JSON-encoded arguments.
    public struct Function: Sendable, Hashable, Codable {
        public var name: String
        public var arguments: String
        public init(name: String, arguments: String) {
            self.name = name
            self.arguments = arguments
        }
    }

    public var id: String
    public var type: String
    public var function: Function

    public init(id: String, name: String, arguments: String) {
        self.id = id
        type = "function"
        function = Function(name: name, arguments: arguments)
    }
}

/// One message of a chat request or answer (OpenAI-compatible, with Moonshot's `reasoning_content`).
public struct ChatMessage: Sendable, Hashable, Codable {
    /// Who speaks: `system`, `user`, `assistant`, or `tool` (a tool call's result).
    public enum Role: String, Sendable, Hashable, Codable { case system, user, assistant, tool }

    public var role: Role
    public var content: MessageContent?
    public var name: String?
    public var toolCalls: [ToolCall]?
    public var toolCallID: String?
    /// The model's reasoning, echoed back on assistant tool-call messages when thinking is on.
    public var reasoningContent: String?
    public var partial: Bool?

    public init(role: Role, content: MessageContent?, name: String? = nil, toolCalls: [ToolCall]? = nil, toolCallID: String? = nil,
                reasoningContent: String? = nil, partial: Bool? = nil) {
        self.role = role
        self.content = content
        self.name = name
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.reasoningContent = reasoningContent
        self.partial = partial
    }

    public static func user(_ parts: [ContentPart]) -> ChatMessage { ChatMessage(role: .user, content: .parts(parts)) }
    public static func system(_ text: String) -> ChatMessage { ChatMessage(role: .system, content: .text(text)) }

    private enum CodingKeys: String, CodingKey {
        case role, content, name, partial
        case toolCalls = "tool_calls", toolCallID = "tool_call_id", reasoningContent = "reasoning_content"
    }
}

/// A function the model may call (`tools[]`); names must match `^[a-zA-Z_][a-zA-Z0-9-_]{2,63}$`.
public struct Tool: Sendable, Hashable, Codable {
    /// The function's name, description and JSON-schema parameters.
    public struct Function: Sendable, Hashable, Codable {
        public var name: String
        public var description: String?
        public var parameters: JSONValue?
        public var strict: Bool?
        public init(name: String, description: String? = nil, parameters: JSONValue? = nil, strict: Bool? = nil) {
            self.name = name
            self.description = description
            self.parameters = parameters
            self.strict = strict
        }
    }

    public var type: String
    public var function: Function

    public init(function: Function) {
        type = "function"
        self.function = function
    }
}

/// `tool_choice`: `"auto"`, `"none"`, `"required"` or a named function.
public enum ToolChoice: Sendable, Hashable, Codable {
    case auto, none, required
    case function(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) {
            switch text {
            case "auto": self = .auto
            case "none": self = .none
            case "required": self = .required
            default: throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown tool_choice '\(text)'")
            }
        } else {
            self = .function(try c.decode(Tool.self).function.name)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .auto: try c.encode("auto")
        case .none: try c.encode("none")
        case .required: try c.encode("required")
        case .function(let name): try c.encode(Tool(function: .init(name: name)))
        }
    }

    var text: String {
        switch self {
        case .auto: "auto"
        case .none: "none"
        case .required: "required"
        case .function(let name): "function \(name)"
        }
    }
}

/// `thinking`: enabled (the default) or disabled; K2.6 adds `keep: "all"` (preserved thinking).
public struct Thinking: Sendable, Hashable, Codable {
    /// Thinking on (the K2.6 default) or off.
    public enum Mode: String, Sendable, Hashable, Codable { case enabled, disabled }
    public var type: Mode
    public var keep: String?

    public init(_ type: Mode, keep: String? = nil) {
        self.type = type
        self.keep = keep
    }

    public static let enabled = Thinking(.enabled)
    public static let disabled = Thinking(.disabled)
}

/// A `POST /v1/chat/completions` body (the parts kimi-media uses and validates).
public struct ChatRequest: Sendable, Hashable, Codable {
    public var model: String
    public var messages: [ChatMessage]
    public var thinking: Thinking?
    public var tools: [Tool]?
    public var toolChoice: ToolChoice?
    public var temperature: Double?
    public var topP: Double?
    public var n: Int?
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?
    public var maxCompletionTokens: Int?
    public var stop: [String]?
    public var stream: Bool?

    public init(model: String = "kimi-k2.6", messages: [ChatMessage], thinking: Thinking? = nil, tools: [Tool]? = nil,
                toolChoice: ToolChoice? = nil, temperature: Double? = nil, topP: Double? = nil, n: Int? = nil,
                presencePenalty: Double? = nil, frequencyPenalty: Double? = nil, maxCompletionTokens: Int? = nil,
                stop: [String]? = nil, stream: Bool? = nil) {
        self.model = model
        self.messages = messages
        self.thinking = thinking
        self.tools = tools
        self.toolChoice = toolChoice
        self.temperature = temperature
        self.topP = topP
        self.n = n
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.maxCompletionTokens = maxCompletionTokens
        self.stop = stop
        self.stream = stream
    }

    private enum CodingKeys: String, CodingKey {
        case model, messages, thinking, tools, temperature, n, stop, stream
        case toolChoice = "tool_choice", topP = "top_p", presencePenalty = "presence_penalty"
        case frequencyPenalty = "frequency_penalty", maxCompletionTokens = "max_completion_tokens"
    }

    /// The canonical JSON body: sorted keys, slashes unescaped (base64's `/` stays one byte, which
    /// is what makes ``PayloadPlanner``'s byte count exact).
    public func body() throws -> Data {
        try Self.encoder.encode(self)
    }

    static let encoder = JSONEncoder.canonical()
}
