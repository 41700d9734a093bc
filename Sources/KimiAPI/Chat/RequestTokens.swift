import MediaCore

/// The offline token count of a whole request's messages: per message a fixed overhead for the
/// chat template's role markers, its text (``TextTokens``) and its media parts (exact arithmetic,
/// supplied by the caller, who knows each part's size). The stand-in server counts with this same
/// function, so a round trip through it is exact; against the real endpoint the text part is an
/// estimate (see ``TextTokens``).
public enum RequestTokens {
    /// `<|im_user|>`, the role, `<|im_middle|>`, `<|im_end|>`: 4 tokens a message ([INFERENCE] from
    /// the K2 chat template; calibrate with `--remote`).
    public static let messageOverhead = 4

    public static func count(_ messages: [ChatMessage], media: (ContentPart) -> Int?) -> Int {
        messages.reduce(0) { total, message in
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
