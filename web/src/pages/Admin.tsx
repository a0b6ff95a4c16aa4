// The admin page (role admin): the result cache's statistics and clearing, the caller's rate
// limits, and the loaded config with a reload button. A key without the admin role sees
// "needs an admin key" where the admin answers would be; the rate limits show for any key.

import { CachePanel, useCacheStats } from './admin/CachePanel';
import { ConfigPanel, useAdminConfig } from './admin/ConfigPanel';
import { needsAdminKey } from './admin/model';
import { RateLimitPanel } from './admin/RateLimitPanel';
import './Admin.css';

export function AdminPage() {
  const stats = useCacheStats();
  const config = useAdminConfig();
  const notAdmin = needsAdminKey(stats.error) || needsAdminKey(config.error);
  return (
    <div className="page admin-page">
      <h1>Admin</h1>
      {notAdmin && (
        <div className="banner banner-warning" role="alert" data-testid="admin-needs-key">
          <strong>This page needs an admin key.</strong> The API key in use does not have the <code>admin</code> role
          (cache statistics also need access to every project, <code>projects: ["*"]</code>). Use <em>Forget key</em> at
          the top and enter an admin key; the rate limits below apply to the current key.
        </div>
      )}
      <div className="grid">
        <CachePanel stats={stats} />
        <ConfigPanel config={config} />
        <RateLimitPanel />
      </div>
    </div>
  );
}
