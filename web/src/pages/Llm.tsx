// Placeholder: being built (issue 7).

export function LlmPage() {
  return (
    <div className="page">
      <h1>LLM operations</h1>
    </div>
  );
}
