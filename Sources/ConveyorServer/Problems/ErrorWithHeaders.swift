public import Hummingbird

/// ErrorWithHeaders carries headers that a middleware wants on the answer to a request that
/// failed further in (the rate limit's on a 404, say); `ProblemMiddleware` answers for the
/// error inside and adds them.
public struct ErrorWithHeaders: Error, Sendable {
    public let error: any Error
    public let headers: HTTPFields

    public init(error: any Error, headers: HTTPFields) {
        self.error = error
        self.headers = headers
    }
}
