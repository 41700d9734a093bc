/// A file stored by the Files API (`FileObject`, docs/kimi-api.md §4.3). `status` is not a fixed set.
public struct FileObject: Sendable, Hashable, Codable {
    public var id: String
    public var object: String?
    public var bytes: Int64?
    public var createdAt: Int64?
    public var filename: String?
    public var purpose: String?
    public var status: String?
    public var statusDetails: String?

    public init(id: String, object: String? = "file", bytes: Int64? = nil, createdAt: Int64? = nil, filename: String? = nil,
                purpose: String? = nil, status: String? = nil, statusDetails: String? = nil) {
        self.id = id
        self.object = object
        self.bytes = bytes
        self.createdAt = createdAt
        self.filename = filename
        self.purpose = purpose
        self.status = status
        self.statusDetails = statusDetails
    }

    /// The reference chat messages use: `ms://<id>`.
    public var reference: String { "ms://" + id }

    private enum CodingKeys: String, CodingKey {
        case id, object, bytes, filename, purpose, status
        case createdAt = "created_at", statusDetails = "status_details"
    }
}

/// `GET /v1/files`: the account's files.
package struct FileList: Sendable, Hashable, Codable {
    public var object: String?
    public var data: [FileObject]
}

/// `DELETE /v1/files/{id}`: whether the file was deleted.
package struct FileDeletion: Sendable, Hashable, Codable {
    public var id: String
    public var object: String?
    public var deleted: Bool
}

/// What a file is uploaded for.
public enum FilePurpose: String, Sendable, Hashable, Codable, CaseIterable {
    case image, video
    case fileExtract = "file-extract"
    case batch
}

/// `{"error": {"type", "message", "code"?}}`.
package struct ErrorBody: Sendable, Hashable, Codable {
    /// The `error` object: `type`, `message` and the optional `code`.
    public struct Detail: Sendable, Hashable, Codable {
        public var type: String?
        public var message: String?
        /// A string in the documented shape; a number is read as its digits (a numeric `code` must
        /// not make the whole error unreadable).
        public var code: String?
        public init(type: String?, message: String?, code: String? = nil) {
            self.type = type
            self.message = message
            self.code = code
        }

        private enum CodingKeys: String, CodingKey { case type, message, code }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            type = try? c.decodeIfPresent(String.self, forKey: .type)
            message = try? c.decodeIfPresent(String.self, forKey: .message)
            if let text = try? c.decodeIfPresent(String.self, forKey: .code) {
                code = text
            } else if let number = try? c.decodeIfPresent(Double.self, forKey: .code) {
                code = number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
            } else {
                code = nil
            }
        }
    }

    public var error: Detail
    public init(type: String, message: String) { error = Detail(type: type, message: message) }
}

/// `POST /v1/tokenizers/estimate-token-count`: request and answer.
package struct EstimateRequest: Sendable, Hashable, Codable {
    public var model: String
    public var messages: [ChatMessage]
    public init(model: String, messages: [ChatMessage]) {
        self.model = model
        self.messages = messages
    }
}

/// `POST /v1/tokenizers/estimate-token-count`: `data.total_tokens`.
package struct EstimateResponse: Sendable, Hashable, Codable {
    /// The count.
    public struct Data: Sendable, Hashable, Codable {
        public var totalTokens: Int
        private enum CodingKeys: String, CodingKey { case totalTokens = "total_tokens" }
        public init(totalTokens: Int) { self.totalTokens = totalTokens }
    }

    public var data: Data
    public init(totalTokens: Int) { data = Data(totalTokens: totalTokens) }
}

/// The answer of `POST /v1/chat/completions` (non-streaming): the parts kimi-media reads.
public struct ChatResponse: Sendable, Hashable, Codable {
    /// One answer (`n` is fixed at 1 for K2.6): the message and why generation stopped.
    public struct Choice: Sendable, Hashable, Codable {
        public var index: Int
        public var message: ChatMessage
        public var finishReason: String?
        public init(index: Int, message: ChatMessage, finishReason: String?) {
            self.index = index
            self.message = message
            self.finishReason = finishReason
        }
        private enum CodingKeys: String, CodingKey {
            case index, message
            case finishReason = "finish_reason"
        }
    }

    /// Tokens billed: prompt (with cached prompt tokens), completion, total.
    public struct Usage: Sendable, Hashable, Codable {
        public var promptTokens: Int
        public var completionTokens: Int
        public var totalTokens: Int
        /// Prompt tokens served from the context cache: `prompt_tokens_details.cached_tokens` (the
        /// OpenAI shape), or a top-level `cached_tokens` as Moonshot has sent it.
        public var cachedTokens: Int?

        private enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
            case cachedTokens = "cached_tokens", promptTokensDetails = "prompt_tokens_details"
        }

        private struct Details: Codable, Hashable {
            var cachedTokens: Int?
            private enum CodingKeys: String, CodingKey { case cachedTokens = "cached_tokens" }
        }

        public init(promptTokens: Int, completionTokens: Int, totalTokens: Int, cachedTokens: Int? = nil) {
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
            self.totalTokens = totalTokens
            self.cachedTokens = cachedTokens
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            promptTokens = try c.decode(Int.self, forKey: .promptTokens)
            completionTokens = try c.decodeIfPresent(Int.self, forKey: .completionTokens) ?? 0
            totalTokens = try c.decodeIfPresent(Int.self, forKey: .totalTokens) ?? promptTokens + completionTokens
            let details = try? c.decodeIfPresent(Details.self, forKey: .promptTokensDetails)
            cachedTokens = details?.cachedTokens ?? (try? c.decodeIfPresent(Int.self, forKey: .cachedTokens))
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(promptTokens, forKey: .promptTokens)
            try c.encode(completionTokens, forKey: .completionTokens)
            try c.encode(totalTokens, forKey: .totalTokens)
            try c.encodeIfPresent(cachedTokens.map { Details(cachedTokens: $0) }, forKey: .promptTokensDetails)
        }
    }

    public var id: String
    public var model: String?
    public var choices: [Choice]
    public var usage: Usage?

    public init(id: String, model: String?, choices: [Choice], usage: Usage?) {
        self.id = id
        self.model = model
        self.choices = choices
        self.usage = usage
    }

    /// The first choice's text.
    public var text: String? {
        guard case .text(let text) = choices.first?.message.content else { return nil }
        return text
    }
}

/// One model of `GET /v1/models` (docs/kimi-api.md §4.6): what it takes and how much context.
public struct ModelInfo: Sendable, Hashable, Codable {
    public var id: String
    public var object: String?
    public var created: Int64?
    public var ownedBy: String?
    public var contextLength: Int?
    public var supportsImageIn: Bool?
    public var supportsVideoIn: Bool?
    public var supportsReasoning: Bool?

    public init(id: String, contextLength: Int? = nil, supportsImageIn: Bool? = nil, supportsVideoIn: Bool? = nil,
                supportsReasoning: Bool? = nil, ownedBy: String? = "moonshot", created: Int64? = nil) {
        self.id = id
        self.object = "model"
        self.created = created
        self.ownedBy = ownedBy
        self.contextLength = contextLength
        self.supportsImageIn = supportsImageIn
        self.supportsVideoIn = supportsVideoIn
        self.supportsReasoning = supportsReasoning
    }

    private enum CodingKeys: String, CodingKey {
        case id, object, created
        case ownedBy = "owned_by", contextLength = "context_length", supportsImageIn = "supports_image_in"
        case supportsVideoIn = "supports_video_in", supportsReasoning = "supports_reasoning"
    }
}

/// `GET /v1/models`: the models this key may use.
package struct ModelList: Sendable, Hashable, Codable {
    public var object: String?
    public var data: [ModelInfo]
    public init(data: [ModelInfo]) {
        object = "list"
        self.data = data
    }
}

/// `GET /v1/users/me/balance` → `{"code":0,"data":{…},"status":true}`: what the account can spend.
public struct Balance: Sendable, Hashable, Codable {
    public var availableBalance: Double
    public var voucherBalance: Double?
    public var cashBalance: Double?

    public init(availableBalance: Double, voucherBalance: Double? = nil, cashBalance: Double? = nil) {
        self.availableBalance = availableBalance
        self.voucherBalance = voucherBalance
        self.cashBalance = cashBalance
    }

    private enum CodingKeys: String, CodingKey {
        case availableBalance = "available_balance", voucherBalance = "voucher_balance", cashBalance = "cash_balance"
    }
}

/// `GET /v1/users/me/balance`: the documented envelope (`code` 0 on success) around the balance.
package struct BalanceResponse: Sendable, Hashable, Codable {
    public var code: Int?
    public var data: Balance
    public var status: Bool?
    public init(balance: Balance) {
        code = 0
        data = balance
        status = true
    }
}
