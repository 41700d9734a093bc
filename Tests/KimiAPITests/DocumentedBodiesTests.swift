import Foundation
import KimiAPI
import Testing

/// Answer bodies in the shapes the public docs give, decoded with the client's own types. Where the
/// docs show example values they are used (estimate 80, file status "ready", the balance envelope);
/// the rest are filled in. Sources (docs/kimi-api.md §0): D1 the estimate page, C20 the OpenAPI
/// copy of the platform docs, D6 the errors page, and for streaming the OpenAI-compatible chunk shape
/// with the usage inside the last choice, as Moonshot sends it (kosong reads it there, C15).
@Suite("Documented answer bodies")
struct DocumentedBodiesTests {
    func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try JSONDecoder().decode(type, from: Data(text.utf8)) }

    @Test func estimate() throws {
        // D1: "If there is no error field, take data.total_tokens"; the envelope as C20's balance.
        #expect(try decode(EstimateResponse.self, #"{"data":{"total_tokens":80}}"#).data.totalTokens == 80)
        #expect(try decode(EstimateResponse.self, #"{"code":0,"data":{"total_tokens":80},"scode":"0x0","status":true}"#).data.totalTokens == 80)
    }

    @Test func filesAndModelsAndBalance() throws {
        // C20 FileObject (status "ready" in its example; kimi-code's files endpoint sent "created").
        let file = try decode(FileObject.self, #"{"id":"cq0ai9uc9b8di9mdtlo0","object":"file","bytes":2357,"created_at":1721282847,"filename":"a.mp4","purpose":"video","status":"ready","status_details":""}"#)
        #expect(file.id == "cq0ai9uc9b8di9mdtlo0" && file.bytes == 2357 && file.status == "ready")
        #expect(try decode(FileObject.self, #"{"id":"x","status":"created"}"#).status == "created")
        // C20 GET /v1/models.
        let models = try decode(ModelList.self, #"{"object":"list","data":[{"id":"kimi-k2.6","object":"model","created":1767225600,"owned_by":"moonshot","context_length":262144,"supports_image_in":true,"supports_video_in":true,"supports_reasoning":true}]}"#)
        #expect(models.data.first?.contextLength == 262_144 && models.data.first?.supportsVideoIn == true)
        // C20 GET /v1/users/me/balance.
        let balance = try decode(BalanceResponse.self, #"{"code":0,"data":{"available_balance":49.58894,"voucher_balance":46.58893,"cash_balance":3.00001},"scode":"0x0","status":true}"#)
        #expect(balance.data.availableBalance == 49.58894 && balance.data.cashBalance == 3.00001)
    }

    @Test func errorsAndCompletions() throws {
        // D6: {"error": {"type", "message"}}; C20 allows a string code; a numeric one must not lose the type.
        let error = try decode(ErrorBody.self, #"{"error":{"type":"rate_limit_reached_error","message":"request reached max request: 3, please try again after 1 seconds"}}"#)
        #expect(error.error.type == "rate_limit_reached_error")
        #expect(try decode(ErrorBody.self, #"{"error":{"type":"invalid_request_error","message":"m","code":1301}}"#).error.code == "1301")
        // A thinking answer: reasoning_content beside content; usage with cached tokens.
        let answer = try decode(ChatResponse.self, #"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"kimi-k2.6","choices":[{"index":0,"message":{"role":"assistant","content":"A cat.","reasoning_content":"The image shows"},"finish_reason":"stop"}],"usage":{"prompt_tokens":81,"completion_tokens":9,"total_tokens":90,"cached_tokens":64}}"#)
        #expect(answer.choices.first?.message.reasoningContent == "The image shows" && answer.usage?.cachedTokens == 64)
    }
}
