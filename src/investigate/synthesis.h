// The optional synthesis of an investigation (docs/investigate.md, "Synthesis"): one call to an
// OpenAI-compatible chat completions endpoint that turns the deterministic evidence into
// `root_cause`, `affected_components` and `recommended_actions`. Nothing is ever invented on
// our side: when the endpoint fails or answers something else, the outcome carries the error
// and the fields stay empty.
// Thread-safety: Synthesize may be called concurrently (its own HTTP handle per call).
#pragma once

#include <string>

#include "common/cancel.h"
#include "config/config.h"
#include "investigate/investigate.h"

namespace tributary::investigate {

//! The user message sent to the model: the question, the window, the timeline, the components
//! and per source its status, queries' purposes, error totals and top messages (never raw
//! points), as JSON cut to `max_bytes`. Cutting drops whole items, least important first (see
//! docs/investigate.md, "Synthesis"), never text mid-way, and counts them in `omitted`; the
//! context and window are always sent, even when they alone exceed `max_bytes`.
std::string SynthesisPrompt(const Investigation& investigation, int64_t max_bytes);

//! Calls `{config.url}/chat/completions` (trailing slashes of the URL dropped; see the header
//! comment) within config.timeout_ms or until `cancel`, both aborting the transfer. A retryable
//! status (408, 429, 500, 502, 503, 504) is tried once more within the timeout. The reply's content
//! may be wrapped in a ```json fence. Errors: UNAVAILABLE (unreachable, HTTP status, with the
//! endpoint's error.message but never the key), DEADLINE_EXCEEDED, CANCELLED, QUERY_ERROR (a
//! reply that is not the expected JSON object, naming what is missing); on error the three
//! fields are empty.
SynthesisOutcome Synthesize(const SynthesisConfig& config, const Investigation& investigation,
                            const CancelToken& cancel);

}  // namespace tributary::investigate
