// Placeholder: being built (issue 7).

export function SourcesPage() {
  return (
    <div className="page">
      <h1>Sources</h1>
    </div>
  );
}
