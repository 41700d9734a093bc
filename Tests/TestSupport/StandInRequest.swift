import Foundation

/// A chat or estimate request as the stand-in reads it: parsed with `JSONSerialization` and checked
/// by rules written from the contract (docs/kimi-api.md §4.2, §4.4, §4.5, §8), not by
/// kimi-media's `ChatRequest` decoder or its `violations()`. Where the two disagree, a test shows it.
///
/// Rules, and where each comes from:
/// - `model` a string, `messages` a non-empty array of objects with a role of system, user,
///   assistant or tool, and content that is a non-empty string or a non-empty array of parts (§4.2
///   "content must not be empty"); an assistant message may carry `tool_calls` instead.
/// - parts: `text`, `image_url`, `video_url`; the URL as `{"url": …}` or a bare string (§4.4); an image
///   is a `data:image/<any>;base64,` URL (the reference does not check the image MIME type, §2.3) or
///   `ms://<id>`; an inline video must be `data:video/mp4;base64,` (the only prefix the reference
///   strips, §3.1) — other video goes up first; web URLs are refused (§4.4, [3P] I9).
/// - `kimi-k2.5`/`kimi-k2.6`: temperature 1.0 with thinking and 0.6 without, top_p 0.95, n 1, both
///   penalties 0 — "cannot be modified" (§4.4, D5); `thinking` is `{"type": "enabled"|"disabled"}`,
///   `keep` `"all"` on K2.6 only; with thinking on, an assistant message with tool calls carries its
///   `reasoning_content` (the real 400's words), and `tool_choice` is auto or none.
/// - `stop` at most 5 strings of at most 32 bytes; at most 128 tools whose names match
///   `^[a-zA-Z_][a-zA-Z0-9-_]{2,63}$`; `max_tokens`/`max_completion_tokens` positive integers;
///   `response_format.type` text, json_object or json_schema; `stream` a boolean.
/// - Other models: `thinking` is passed over (undocumented there; the stand-in does not guess a refusal).
struct StandInRequest {
    var model: String
    var messages: [[String: Any]]
    var thinking: Bool
    /// `thinking.keep: "all"` (K2.6's Preserved Thinking): earlier `reasoning_content` stays in the prompt.
    var keepsReasoning = false
    var stream: Bool
    var maxCompletionTokens: Int?

    /// A refusal as the API words it: status, error type, message.
    struct Refusal: Error {
        var status: Int
        var type: String
        var message: String
        static func invalid(_ message: String) -> Refusal { Refusal(status: 400, type: "invalid_request_error", message: "Invalid request: \(message)") }
    }

    /// The ids `GET /v1/models` lists; any other model is a 404.
    static func check(model: Any?, known: Set<String>) throws(Refusal) -> String {
        guard let model = model as? String, !model.isEmpty else { throw .invalid("model is required") }
        guard known.contains(model) else {
            throw Refusal(status: 404, type: "resource_not_found_error", message: "Not found the model \(model) or Permission denied")
        }
        return model
    }

    static func object(_ body: [UInt8]) throws(Refusal) -> [String: Any] {
        guard let value = try? JSONSerialization.jsonObject(with: Data(body)), let object = value as? [String: Any] else {
            throw .invalid("the body is not a JSON object")
        }
        return object
    }

    /// `POST /v1/tokenizers/estimate-token-count`: `model` and `messages` only (§4.2).
    static func estimate(_ body: [UInt8], models: Set<String>) throws(Refusal) -> StandInRequest {
        let json = try object(body)
        let model = try check(model: json["model"], known: models)
        if json["tools"] != nil { throw .invalid("tools are not accepted by the estimate endpoint") }
        let messages = try Self.messages(json["messages"])
        return StandInRequest(model: model, messages: messages, thinking: true, stream: false, maxCompletionTokens: nil)
    }

    /// `POST /v1/chat/completions` (§4.4).
    static func chat(_ body: [UInt8], models: Set<String>) throws(Refusal) -> StandInRequest {
        let json = try object(body)
        let model = try check(model: json["model"], known: models)
        let messages = try Self.messages(json["messages"])
        let fixedSampling = model == "kimi-k2.6" || model == "kimi-k2.5"
        var thinking = fixedSampling, keeps = false
        if fixedSampling, let value = json["thinking"] {
            guard let t = value as? [String: Any], let type = t["type"] as? String, type == "enabled" || type == "disabled" else {
                throw .invalid("thinking.type must be 'enabled' or 'disabled'")
            }
            thinking = type == "enabled"
            if let keep = t["keep"], !(keep is NSNull) {
                guard model == "kimi-k2.6", keep as? String == "all" else { throw .invalid("thinking.keep must be 'all' or null on kimi-k2.6") }
                keeps = true
            }
        }
        if fixedSampling {
            let fixed: [(String, Double)] = [("temperature", thinking ? 1.0 : 0.6), ("top_p", 0.95), ("n", 1),
                                             ("presence_penalty", 0), ("frequency_penalty", 0)]
            for (field, value) in fixed {
                guard let given = json[field], !(given is NSNull) else { continue }
                guard let number = number(given), number == value else {
                    throw .invalid("\(field) of \(model) cannot be modified (only \(value) is allowed)")
                }
            }
            if thinking {
                for (index, message) in messages.enumerated() where message["role"] as? String == "assistant" {
                    let calls = message["tool_calls"] as? [Any] ?? []
                    let reasoning = message["reasoning_content"] as? String ?? ""
                    if !calls.isEmpty, reasoning.isEmpty {
                        throw Refusal(status: 400, type: "invalid_request_error",
                                      message: "thinking is enabled but reasoning_content is missing in assistant tool call message at index \(index)")
                    }
                }
                if let choice = json["tool_choice"], !(choice is NSNull), choice as? String != "auto", choice as? String != "none" {
                    throw .invalid("tool_choice must be 'auto' or 'none' when thinking is enabled")
                }
            }
        }
        if let stop = json["stop"], !(stop is NSNull) {
            let strings: [String]
            if let one = stop as? String { strings = [one] } else if let many = stop as? [String] { strings = many } else {
                throw .invalid("stop must be a string or an array of strings")
            }
            if strings.count > 5 || strings.contains(where: { $0.utf8.count > 32 }) {
                throw .invalid("stop takes at most 5 strings of at most 32 bytes")
            }
        }
        if let tools = json["tools"], !(tools is NSNull) {
            guard let list = tools as? [[String: Any]], list.count <= 128 else { throw .invalid("tools must be an array of at most 128 tools") }
            for tool in list {
                let name = (tool["function"] as? [String: Any])?["name"] as? String ?? ""
                if !validName(name) { throw .invalid("function name '\(name)' must match ^[a-zA-Z_][a-zA-Z0-9-_]{2,63}$") }
            }
        }
        var budget: Int?
        for field in ["max_completion_tokens", "max_tokens"] {
            guard let given = json[field], !(given is NSNull) else { continue }
            guard let value = number(given), value >= 1, value == value.rounded() else { throw .invalid("\(field) must be a positive integer") }
            budget = budget ?? Int(value)
        }
        if let format = json["response_format"], !(format is NSNull) {
            let type = (format as? [String: Any])?["type"] as? String
            guard ["text", "json_object", "json_schema"].contains(type ?? "") else {
                throw .invalid("response_format.type must be text, json_object or json_schema")
            }
        }
        var stream = false
        if let value = json["stream"], !(value is NSNull) {
            guard let flag = value as? Bool else {
                throw .invalid("stream must be a boolean")
            }
            stream = flag
        }
        return StandInRequest(model: model, messages: messages, thinking: thinking, keepsReasoning: keeps, stream: stream,
                              maxCompletionTokens: budget)
    }

    static func number(_ value: Any) -> Double? {
        (value as? NSNumber)?.doubleValue
    }

    static func validName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count >= 3, bytes.count <= 64 else { return false }
        func head(_ b: UInt8) -> Bool { (65...90).contains(b) || (97...122).contains(b) || b == 95 }
        return head(bytes[0]) && bytes.allSatisfy { head($0) || (48...57).contains($0) || $0 == 45 }
    }

    static func messages(_ value: Any?) throws(Refusal) -> [[String: Any]] {
        guard let list = value as? [Any], !list.isEmpty else { throw .invalid("messages must be a non-empty array") }
        var messages: [[String: Any]] = []
        for (index, item) in list.enumerated() {
            guard let message = item as? [String: Any] else { throw .invalid("message at index \(index) is not an object") }
            let role = message["role"] as? String ?? ""
            guard ["system", "user", "assistant", "tool"].contains(role) else {
                throw .invalid("message at index \(index) has an invalid role '\(role)'")
            }
            let calls = message["tool_calls"] as? [Any] ?? []
            switch message["content"] {
            case let text as String where !text.isEmpty: break
            case let parts as [Any] where !parts.isEmpty:
                for part in parts { try check(part: part, at: index) }
            case nil, is NSNull:
                guard role == "assistant", !calls.isEmpty else { throw .invalid("message at index \(index) has empty content") }
            default:
                throw .invalid("message at index \(index) has empty content")
            }
            messages.append(message)
        }
        return messages
    }

    static func check(part value: Any, at index: Int) throws(Refusal) {
        guard let part = value as? [String: Any], let type = part["type"] as? String else {
            throw .invalid("a content part of message \(index) has no type")
        }
        switch type {
        case "text":
            guard let text = part["text"] as? String, !text.isEmpty else { throw .invalid("a text part of message \(index) is empty") }
        case "image_url", "video_url":
            guard let url = mediaURL(part[type]) else { throw .invalid("\(type).url is missing in message \(index)") }
            if url.hasPrefix("ms://") {
                guard url.count > 5 else { throw .invalid("\(type).url has no file id") }
            } else if url.hasPrefix("http://") || url.hasPrefix("https://") {
                throw .invalid("\(type) takes a base64 data URL or ms://<file_id>, not a web URL")
            } else if type == "image_url" {
                guard url.hasPrefix("data:image/"), url.prefix(while: { $0 != "," }).hasSuffix(";base64") else {
                    throw .invalid("image_url.url must be data:image/<type>;base64,… or ms://<file_id>")
                }
            } else {
                guard url.hasPrefix("data:video/mp4;base64,") else {
                    throw .invalid("an inline video must be data:video/mp4;base64,…; upload other videos and send ms://<file_id>")
                }
            }
        default:
            throw .invalid("unknown content part type '\(type)'")
        }
    }

    /// The URL of an `image_url`/`video_url` value: `{"url": …}` or a bare string.
    static func mediaURL(_ value: Any?) -> String? {
        if let url = value as? String { return url }
        return (value as? [String: Any])?["url"] as? String
    }
}
