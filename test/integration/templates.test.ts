// Variables that refer to variables, across group_vars, host_vars, role defaults, play vars
// and -e, rendered through Jinja (.j2 with include, for, if, macro, filters) and handlebars
// (.hbs) templates onto real lab hosts, each resolved in its own host's scope; the files
// are read back over SSH. A second apply changes nothing.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeLab, labHosts, makeProject, resetHosts, runFleet, sshRun, type Project } from './helpers/index.js';

describeLab('lazy variables and Jinja templates on real hosts', () => {
  let project: Project;
  let hosts: string[];

  beforeAll(async () => {
    hosts = labHosts()
      .slice(0, 2)
      .map((h) => h.name);
    await resetHosts(hosts);
    const [first, second] = hosts;
    project = makeProject({
      hosts,
      playbook: `- name: homeserver
  hosts: lab
  vars:
    conf_root: "/etc/fleet-jinja/{{ server_name | replace('.', '-') }}"
    listeners:
      - {port: "{{ http_port }}", tls: false, bind: ["{{ bind_address }}"]}
      - {port: "{{ http_port + 1 }}", tls: true, bind: "{{ ['::1', bind_address] }}"}
  roles:
    - homeserver
`,
      roles: {
        homeserver: {
          'defaults/main.yml':
            'server_name: "{{ matrix_domain }}"\nbind_address: "{{ ansible_host }}"\nadmins: ["admin@{{ server_name }}"]\n',
          'tasks/main.yml': `- name: config directory
  file: {path: "{{ conf_root }}", state: directory, mode: "0755"}
- name: homeserver config (Jinja)
  template: {src: homeserver.yaml.j2, dest: "{{ conf_root }}/homeserver.yaml", mode: "0644"}
- name: peers (handlebars)
  template: {src: peers.conf.hbs, dest: "{{ conf_root }}/peers.conf", mode: "0644"}
- name: a value built in the task
  copy:
    dest: "{{ conf_root }}/summary"
    content: |
      {{ server_name }} {{ listeners | map(attribute='port') | join(',') }} {{ admins | length }}
      {% for l in listeners if l.tls %}tls={{ l.port }}{% endfor %}
`,
          'templates/homeserver.yaml.j2': `# {{ ansible_managed }}, {{ fleet_banner | default('managed by fleet') }}
{% macro listener(l) -%}
- port: {{ l.port }}
  tls: {{ l.tls | lower }}
  bind_addresses: {{ ([l.bind] if l.bind is string else l.bind) | to_json }}
{%- endmacro %}
server_name: "{{ server_name }}"
public_baseurl: "https://{{ server_name }}/"
listeners:
{% for l in listeners %}
{{ listener(l) }}
{% endfor %}
{% include '_admins.j2' %}
peers: {{ groups['lab'] | map('extract', hostvars, 'matrix_domain') | list | to_json }}
`,
          'templates/_admins.j2': `admins:
{% for a in admins | sort %}
  - {{ a | quote }}
{% endfor %}
`,
          'templates/peers.conf.hbs': `{{#each groups.lab}}{{this}} {{lookup (lookup ../hostvars this) "matrix_domain"}}\n{{/each}}`,
        },
      },
      files: {
        'inventory/group_vars/all.yml': 'base_domain: example.org\nmatrix_domain: "matrix.{{ base_domain }}"\n',
        [`inventory/host_vars/${second}.yml`]: 'base_domain: "{{ inventory_hostname }}.example.net"\n',
        [`inventory/host_vars/${first}.yml`]: 'http_port: 8000\n',
      },
    });
  });
  afterAll(() => project?.cleanup());

  // -e in both forms: key=value (a string) and JSON (typed).
  const fleet = (args: string[]) =>
    runFleet([...args, '-i', project.inventoryDir, '-e', 'bind_address=127.0.0.1', '-e', '{"http_port": 8448}'], { cwd: project.dir });

  it("renders each host's file with its own chain of variables, read back over ssh", async () => {
    const run = await fleet(['apply', 'playbooks/site.yml']);
    expect(run.code, run.stderr).toBe(0);
    const [first, second] = hosts;
    const domains: Record<string, string> = { [first]: 'matrix.example.org', [second]: `matrix.${second}.example.net` };
    for (const h of hosts) {
      const dir = `/etc/fleet-jinja/${domains[h].replace(/\./g, '-')}`;
      const r = await sshRun(h, `cat ${dir}/homeserver.yaml; echo ---; cat ${dir}/peers.conf; echo ---; cat ${dir}/summary`);
      expect(r.code, r.stderr).toBe(0);
      // -e wins over host_vars (http_port 8448, not 8000) and over the role default of bind_address.
      expect(r.stdout).toBe(
        [
          '# Ansible managed, managed by fleet',
          `server_name: "${domains[h]}"`,
          `public_baseurl: "https://${domains[h]}/"`,
          'listeners:',
          '- port: 8448',
          '  tls: false',
          '  bind_addresses: ["127.0.0.1"]',
          '- port: 8449',
          '  tls: true',
          '  bind_addresses: ["::1", "127.0.0.1"]',
          'admins:',
          `  - admin@${domains[h]}`,
          `peers: ["${domains[first]}", "${domains[second]}"]`,
          '---',
          `${first} ${domains[first]}`,
          `${second} ${domains[second]}`,
          '---',
          `${domains[h]} 8448,8449 1`,
          'tls=8449',
          '',
        ].join('\n'),
      );
    }
  });

  it('a second apply changes nothing', async () => {
    const run = await fleet(['apply', 'playbooks/site.yml']);
    expect(run.code, run.stderr).toBe(0);
    for (const h of hosts) expect(run.recap!.hosts[h]).toMatchObject({ changed: 0, failed: 0 });
  });
});
