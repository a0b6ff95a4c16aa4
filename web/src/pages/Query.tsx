// Placeholder: being built (issue 7).

export function QueryPage() {
  return (
    <div className="page">
      <h1>Query console</h1>
    </div>
  );
}
