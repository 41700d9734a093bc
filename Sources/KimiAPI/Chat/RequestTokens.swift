import MediaCore

/// The offline token count of a whole request's messages: per message a fixed overhead for the
/// chat template's role markers, its text (``TextTokens``) and its media parts (exact arithmetic,
/// supplied by the caller, who knows each part's size), and once the generation prompt the model
/// answers after. Against the real endpoint the text part is an estimate (see ``TextTokens``); the
/// tests' stand-in counts with its own, independent transcription of the spec.
public enum RequestTokens {
    /// `<|im_user|>`, the role, `<|im_middle|>`, `<|im_end|>`: 4 tokens a message ([INFERENCE] from
    /// the K2 chat template; calibrate with `--remote`).
    public static let messageOverhead = 4

    /// `<|im_assistant|>`, `assistant`, `<|im_middle|>`, `<think>`: the generation prompt after the last
    /// message, 4 tokens. docs/kimi-api.md §2.4's data point (I1): a 224×224 image (69 with its wrapper) and
    /// "Describe the image." counted 81 on the serving API — 12 text tokens, which the user message's
    /// 4 markers and 4 words leave 4 of.
    public static let generationPrompt = 4

    public static func count(_ messages: [ChatMessage], media: (ContentPart) -> Int?) -> Int {
        messages.reduce(generationPrompt) { total, message in
            var tokens = messageOverhead
            switch message.content {
            case .text(let text)?: tokens += TextTokens.count(text)
            case .parts(let parts)?:
                for part in parts {
                    if case .text(let text) = part { tokens += TextTokens.count(text) } else { tokens += media(part) ?? 0 }
                }
            case nil: break
            }
            if let reasoning = message.reasoningContent { tokens += TextTokens.count(reasoning) }
            for call in message.toolCalls ?? [] { tokens += TextTokens.count(call.function.name) + TextTokens.count(call.function.arguments) }
            return total + tokens
        }
    }
}
