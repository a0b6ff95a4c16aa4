// The projects the caller may see (GET /api/v1/projects), loaded once per key, and the current
// one: the URL's `project`, else the server's default, else the first.

import { createContext, useContext, type ReactNode } from 'react';
import { apiGet } from '../api/client';
import type { ProjectInfo, ProjectsAnswer } from '../api/types';
import { useAsync, useViewState } from './hooks';

interface ProjectsValue {
  projects: ProjectInfo[];
  current: ProjectInfo | undefined;
  loading: boolean;
  error: Error | undefined;
  /** Set when the URL names a project the caller does not see. */
  problem: string | undefined;
  /** Loads the list again (e.g. after an import added a source to a project). */
  reload: () => void;
}

const ProjectsContext = createContext<ProjectsValue>({
  projects: [],
  current: undefined,
  loading: true,
  error: undefined,
  problem: undefined,
  reload: () => {},
});

export function ProjectsProvider({ children }: { children: ReactNode }) {
  const [view] = useViewState();
  const answer = useAsync<ProjectsAnswer>('projects', (signal) =>
    apiGet<ProjectsAnswer>('/api/v1/projects', undefined, signal),
  );
  const projects = answer.data?.projects ?? [];
  let current: ProjectInfo | undefined;
  let problem: string | undefined;
  if (view.project) {
    current = projects.find((p) => p.id === view.project);
    if (!current && answer.data) problem = `project '${view.project}' does not exist or this key may not see it`;
  } else {
    current = projects.find((p) => p.id === answer.data?.defaultProject) ?? projects[0];
  }
  return (
    <ProjectsContext.Provider
      value={{ projects, current, loading: answer.loading, error: answer.error, problem, reload: answer.reload }}
    >
      {children}
    </ProjectsContext.Provider>
  );
}

export function useProjects(): ProjectsValue {
  return useContext(ProjectsContext);
}
