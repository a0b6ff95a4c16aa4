// Placeholder: being built (issue 7).

export function AdminPage() {
  return (
    <div className="page">
      <h1>Admin</h1>
    </div>
  );
}
