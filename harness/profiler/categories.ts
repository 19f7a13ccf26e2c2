// The symbol → Table 1 category mapping, kept as data in this one file for review (the paper used ctags files per category).
// Kernel rules follow the kernel's source folders as the paper's ctags did: net/ → networking, mm/ → memory-mgmt,
// fs/ → file system, fs/select.c + fs/eventpoll.c → poll, arch copy routines → data copying, kernel/sched → sched,
// the rest of kernel/ and arch/ → kernel+arch, everything else (lib/, block/, security/, drivers/) → others.
// The first matching rule wins, so the narrow rules (poll, copying, sched) come before the broad ones.

export type Section = "vmlinux" | "nic" | "user" | "libc" | "other";

export const KERNEL_CATEGORIES = ["networking", "memory_mgmt", "file_system", "kernel_arch", "poll_overhead",
  "data_copying", "sched_overhead", "others"] as const;
export const USER_CATEGORIES = ["thread_overhead", "event_overhead", "application"] as const;
export type Category = (typeof KERNEL_CATEGORIES)[number] | (typeof USER_CATEGORIES)[number]
  | "nic_driver_total" | "libc_total" | "other_total";

/** Kernel symbols (perf's dso [kernel.kallsyms]); NIC drivers are their own section, as the paper's e1000 was. */
export const KERNEL_RULES: Array<{ category: Category; section: Section; pattern: RegExp }> = [
  { section: "nic", category: "nic_driver_total",
    pattern: /^(veth_|virtnet_|virtqueue_|vring_|vp_|virtio_|e1000|igb_|ixgbe_|mlx[45]_|loopback_)/ },
  { section: "vmlinux", category: "poll_overhead",
    pattern: /^(do_poll|do_sys_poll|__x64_sys_(poll|ppoll|select|pselect6|epoll_\w+)|__se_sys_(poll|select)|poll_\w+|__pollwait|pollwake|sock_poll|tcp_poll|tcp_stream_is_readable|core_sys_select|do_select|kern_select|select_estimate_accuracy|max_select_fd|ep_\w+|do_epoll_\w+|__ep_\w+|eventpoll_\w+)/ },
  { section: "vmlinux", category: "data_copying",
    pattern: /^(rep_movs_alternative|rep_stos_alternative|copy_user_\w+|_copy_(to|from)_user\w*|__copy_\w+|copy_(to|from)_user\w*|copyin|copyout|memcpy\w*|__memcpy\w*|memmove|__memmove|csum_partial_copy\w*|copy_page\w*|_copy_to_iter|_copy_from_iter\w*|copy_page_(to|from)_iter\w*|__get_user_\w+|__put_user_\w+)$/ },
  { section: "vmlinux", category: "sched_overhead",
    pattern: /^(schedule\w*|__schedule|__cond_resched|preempt_schedule\w*|pick_next_\w+|__pick_\w+|\w+_fair$|\w+_rt$|enqueue_\w+|dequeue_\w+|try_to_wake_up|wake_up_\w+|__wake_up\w*|ttwu_\w+|context_switch|finish_task_switch\w*|prepare_task_switch|switch_mm\w*|__switch_to\w*|update_curr\w*|update_rq_clock\w*|update_load_avg|update_cfs_\w+|sched_\w+|__sched_\w+|resched_\w+|check_preempt\w*|set_next_entity|put_prev_\w+|psi_\w+|load_balance|newidle_balance|cpuacct_\w+|account_\w+|cgroup_rstat_\w+|throttle_cfs_rq|unthrottle_cfs_rq|tg_\w+|select_task_rq\w*|activate_task|deactivate_task|reweight_\w+|place_entity|hrtick_\w+)/ },
  { section: "vmlinux", category: "networking",
    pattern: /^(tcp_\w+|bbr_\w+|bictcp_\w+|cubictcp_\w+|__tcp_\w+|inet_\w+|__inet_\w+|inet6?_\w+|ip_\w+|__ip_\w+|ipv[46]_\w+|ip6_\w+|raw_v4_\w+|udp\w*|sock_\w+|__sock_\w+|sk_\w+|__sk_\w+|skb_\w+|__skb_\w+|kfree_skb\w*|__kfree_skb|consume_skb|alloc_skb\w*|__alloc_skb|build_skb\w*|napi_\w+|__napi_\w+|netif_\w+|__netif_\w+|net_rx_action|net_tx_action|dev_\w+|__dev_\w+|eth_\w+|neigh_\w+|__neigh_\w+|nf_\w+|__nf_\w+|ipt_\w+|iptable_\w+|qdisc_\w+|__qdisc_\w+|sch_\w+|pfifo_\w+|process_backlog|enqueue_to_backlog|get_rps_cpu|rps_\w+|validate_xmit_\w+|lock_sock\w*|release_sock|__release_sock|__sys_(accept4?|recvfrom|sendto|sendmsg|recvmsg|socket|bind|listen|connect|shutdown|setsockopt|getsockopt)|__x64_sys_(accept4?|recvfrom|sendto|sendmsg|recvmsg|shutdown|setsockopt|getsockopt)|do_accept|move_addr_to_user|csum_\w+|__csum_\w+|secure_tcp\w*|reqsk_\w+|inet_csk_\w+|sockfd_lookup\w*|__sock_release|sock_def_\w+|security_sock\w*|bpf_\w+|__cgroup_bpf_\w+|gro_\w+|dst_\w+|fib_\w+|__fib_\w+|rt_\w+|__mkroute_\w+|net_rps_\w+|netlink_\w+|xfrm_\w+|__xfrm_\w+|passthru_features_check|get_netmem|_{2,4}sys_\w+)/ },
  { section: "vmlinux", category: "memory_mgmt",
    pattern: /^(kmem_cache_\w+|folios_\w+|__check_object_size|check_heap_object|__kmem_cache_\w+|kmalloc\w*|__kmalloc\w*|kfree\w*|__kfree\w*|krealloc|kvmalloc\w*|kvfree|slab_\w+|__slab_\w+|___slab_\w+|alloc_pages\w*|__alloc_pages\w*|__alloc_frozen_\w+|alloc_frozen_\w+|free_pages\w*|__free_pages\w*|__free_frozen_\w+|free_unref_\w+|free_frozen_\w+|get_page_from_freelist|rmqueue\w*|__rmqueue\w*|page_\w+|__page_\w+|folio_\w+|__folio_\w+|filemap_map_pages|lru_\w+|__lru_\w+|release_pages|put_page\w*|__put_page|get_page\w*|mem_cgroup_\w+|__mem_cgroup_\w+|memcg_\w+|__memcg_\w+|mod_memcg_\w+|__mod_memcg_\w+|mod_lruvec_\w+|__mod_lruvec_\w+|__mod_node_\w+|__mod_zone_\w+|mod_node_\w+|mod_zone_\w+|count_memcg_\w+|__count_memcg_\w+|obj_cgroup_\w+|refill_obj_stock|consume_obj_stock|drain_\w+|shrink_\w+|workingset_\w+|mm_\w+|__mm_\w+|mmap_\w+|do_mmap|vm_\w+|__vm_\w+|vma_\w+|__vma_\w+|do_anonymous_page|handle_mm_fault|__handle_mm_fault|do_user_addr_fault|exc_page_fault|do_fault|zap_\w+|unmap_\w+|pcpu_\w+|__pcpu_\w+|pfn_\w+|clear_page_\w+|pte_\w+|pmd_\w+|__pte_\w+|isolate_\w+|lruvec_\w+|try_charge\w*|charge_memcg|uncharge_\w+|__rmqueue_pcplist|pcp_\w+|free_pcppages_bulk|kswapd\w*|compaction_\w+|compact_\w+|wp_page_\w+|set_pte_\w+|zone_\w+|__zone_\w+|totalram_\w+|truncate_\w+|invalidate_mapping_\w+|mapping_\w+|xas_\w+|xa_\w+|__account_obj_stock|refill_stock|build_detached_freelist|_{2,3}free_pages|__next_zones_zonelist|get_mem_cgroup_\w+|__get_pfnblock_\w+|put_cpu_partial|allocate_slab|__put_partials)/ },
  { section: "vmlinux", category: "file_system",
    pattern: /^(vfs_\w+|dquot_\w+|fscrypt_\w+|dentry_\w+|__vfs_\w+|do_sys_open\w*|do_filp_open|path_\w+|link_path_walk\w*|walk_component|lookup_\w+|__lookup_\w+|d_\w+|__d_\w+|dput|dget\w*|fput\w*|__fput\w*|fget\w*|__fget\w*|fdget\w*|__fdget\w*|filp_\w+|generic_file_\w+|filemap_\w+|__filemap_\w+|file_\w+|__file_\w+|do_sendfile|__x64_sys_sendfile\w*|__se_sys_sendfile\w*|splice_\w+|__splice_\w+|do_splice\w*|iter_file_splice_write|direct_splice_actor|ext4_\w+|__ext4_\w+|jbd2_\w+|xfs_\w+|btrfs_\w+|ovl_\w+|mpage_\w+|readahead\w*|page_cache_\w+|ondemand_readahead|force_page_cache_\w+|touch_atime|atime_needs_update|inode_\w+|__inode_\w+|iput|igrab|security_file_\w+|fsnotify\w*|__fsnotify\w*|rw_verify_area|new_sync_(read|write)|do_iter_\w+|ksys_(read|write|pread64|pwrite64|lseek)|__x64_sys_(read|write|readv|writev|pread64|open|openat|close|fstat|newfstat|newfstatat|statx|lseek|fcntl|ioctl|dup\w*)|alloc_fd|__alloc_fd|close_fd\w*|__close_fd\w*|put_unused_fd|fd_install|do_dup2|do_fcntl|cp_new_stat|vfs|generic_\w+|do_writev|do_readv|do_open|may_open|open_last_lookups|terminate_walk|complete_walk|step_into|pick_link|legitimize_\w+|filename_\w+|getname\w*|putname|alloc_empty_file|init_file|anon_pipe_\w+|pipe_\w+|__pipe_\w+|seq_\w+|proc_\w+|kernfs_\w+|sysfs_\w+|mntput|mntget|__mnt_\w+|mnt_\w+|locks_\w+|fasync_\w+|__f_\w+|f_\w+|fs_\w+|ep_poll_callback|iov_iter_\w+|import_iovec|__import_iovec|copy_splice_read|block_\w+|__block_\w+|buffer_\w+|mark_buffer_\w+|__mark_inode_dirty|wait_on_page_\w+|folio_wait_\w+|dio_\w+|iomap_\w+|__iomap_\w+|fuse_\w+|__fuse_\w+|___?d_\w+|__dentry_\w+|alloc_inode|destroy_inode|alloc_file_\w+|lockref_\w+|current_time|do_vfs_ioctl|signalfd_\w+|eventfd_\w+)/ },
  { section: "vmlinux", category: "kernel_arch",
    pattern: /^(entry_SYSCALL\w*|do_syscall_64|syscall_\w+|__x64_sys_\w+|__se_sys_\w+|__do_sys_\w+|x64_sys_call|native_\w+|__native_\w+|pv_native_\w+|irq_\w+|__irq_\w+|do_IRQ|common_interrupt|asm_\w+|sysvec_\w+|__sysvec_\w+|apic_\w+|x2apic_\w+|lapic_\w+|hrtimer_\w+|__hrtimer_\w+|tick_\w+|__tick_\w+|ktime_\w+|read_tsc|clockevents_\w+|timekeeping_\w+|__softirqentry\w*|__do_softirq|do_softirq\w*|handle_softirqs|__irq_exit\w*|irq_exit\w*|_raw_\w+|raw_\w+|__pv_\w+|pv_\w+|__raw_\w+|queued_spin_\w+|native_queued_\w+|preempt_\w+|__preempt_\w+|rcu_\w+|__rcu_\w+|__call_rcu\w*|call_rcu\w*|jiffies\w*|srcu_\w+|__srcu_\w+|exit_to_user_mode\w*|__exit_to_user_mode\w*|syscall_exit_\w+|restore_regs_\w+|swapgs_\w+|entry_\w+|mutex_\w+|__mutex_\w+|down_\w+|up_\w+|rwsem_\w+|__rwsem_\w+|futex_\w+|__futex_\w+|do_futex|get_futex_\w+|hash_futex|signal_\w+|__send_signal\w*|do_send_sig_info|kill_\w+|timer_\w+|__timer_\w+|run_timer_\w+|__run_timers|call_timer_fn|mod_timer|__mod_timer|add_timer|del_timer\w*|cgroup_\w+|__cgroup_\w+|css_\w+|task_\w+|__task_\w+|get_task_\w+|put_task_\w+|do_exit|do_group_exit|copy_process|kernel_clone|wake_q_\w+|local_\w+|__local_\w+|cpuidle_\w+|default_idle\w*|do_idle|arch_\w+|__arch_\w+|x86_\w+|fpu_\w+|__fpu_\w+|switch_fpu_\w+|restore_fpregs\w*|fpregs_\w+|audit_\w+|__audit_\w+|seccomp_\w+|__secure_computing|housekeeping_\w+|clock_\w+|posix_\w+|hrtimer|nohz_\w+|smp_\w+|__smp_\w+|flush_smp_\w+|generic_exec_\w+|llist_\w+|do_nanosleep|kthread\w*|worker_thread|process_one_work|queue_work\w*|__queue_work|insert_work|ret_from_fork\w*|schedule_tail|__rseq_\w+|rseq_\w+|put_pid|lock_for_kill|__x86_indirect_thunk_\w+|its_return_thunk|pvclock_\w+|kvm_clock_\w+|__virt_addr_valid|task_work_run)/ },
  // lib/, security/, block/ and the rest of drivers/: Table 1's "others" by rule (kernel code no rule knows is counted
  // there too, as unattributed)
  { section: "vmlinux", category: "others",
    pattern: /^(__list_\w+_valid\w*|rb_\w+|__rb_\w+|_find_\w+_bit|minmax_\w+|percpu_counter_\w+|percpu_ref_\w+|refcount_\w+|hook_\w+|security_\w+|apparmor_\w+|selinux_\w+|bpf_lsm_\w+|blkcg_\w+|blk_\w+|__blk_\w+|bio_\w+|__bio_\w+|memset\w*|__memset\w*|strn?cpy\w*|strn?cmp|strlen|sha\w+|siphash_\w+|get_random_\w+|_get_random_\w+|chacha\w+|idr_\w+|ida_\w+|radix_tree_\w+|__radix_tree_\w+|sg_\w+|bitmap_\w+|__bitmap_\w+|sort|sort_r|llist_add_batch)/ },
];

/** Functions whose file holds more than one kind of code: WatPipe's stage loops that select and dispatch are its event
 *  handling, though they live beside the request code in pipeline.cc. Checked before the folders. */
export const USER_FUNCTION_RULES: Array<{ category: Category; pattern: RegExp }> = [
  { category: "event_overhead", pattern: /(^|::)Pipeline::(select_stage|read_stage|accept_stage|expire_idle)$/ },
];

/** User-space code of our servers, by the source file its function lives in (a path relative to the repo). */
export const USER_FOLDER_RULES: Array<{ category: Category; folder: RegExp }> = [
  { category: "thread_overhead", folder: /^servers\/knot\/runtime\// },                  // Knot's Capriccio-like runtime
  { category: "thread_overhead", folder: /^servers\/userver\/futex\.c$/ },                // shared-SYMPED's lock
  { category: "event_overhead", folder: /^servers\/(userver|common)\/ev[^/]*$/ },       // userver's event loop and backends
  { category: "event_overhead", folder: /^servers\/watpipe\/(fdset|handoff)\.[ch]\w*$/ }, // WatPipe's fd sets and their merging
  { category: "application", folder: /^servers\// },
];

/** Symbol prefixes used when a function's source file is unknown (inlined, or built without the sources at hand). */
export const USER_PREFIX_RULES: Array<{ category: Category; pattern: RegExp }> = [
  { category: "thread_overhead", pattern: /^(rt_|st_|_st_)/ },
  { category: "event_overhead", pattern: /^(ev_|fdset_|sel_)/ },
];

/** Shared libraries: the user-level thread library (State Threads) and Pthreads count as thread overhead, as the paper's
 *  Capriccio and Pthreads did; the rest of libc (and the C++ runtime) is libc. */
export const LIB_RULES: Array<{ dso: RegExp; symbol?: RegExp; section: Section; category: Category }> = [
  { dso: /libst\.so/, section: "user", category: "thread_overhead" },
  { dso: /libc[.-]|libpthread/, symbol: /^(pthread_|__pthread_|__lll_|lll_|___pthread_|__futex|futex_|sem_|__new_sem_|start_thread|__GI___pthread|__nptl_)/,
    section: "user", category: "thread_overhead" },
  { dso: /libc[.-]|libpthread|libstdc\+\+|libgcc_s/, section: "libc", category: "libc_total" },
  { dso: /libhttp_parser\.so/, section: "user", category: "application" },   // the servers' shared HTTP parser
];

/** The idle task (pid 0, perf's "swapper"): its samples are idle whatever function they land in — the halt, however it
 *  is called (default_idle, pv_native_safe_halt, a hypervisor's halt call, haltpoll), and the interrupt work on its
 *  stack, most of which is samples that came due during the halt and were taken when the interrupt handler re-enabled
 *  interrupts. Excluded from the percentages, as the paper's saturated server had no idle time to exclude. */
export const IDLE_TID = 0;

/** Interrupt-enable and lock-release points ("sinks"). A timer sample that came due while interrupts were off is taken
 *  when they are turned back on, so it lands here, not on the code that ran; such a sample is charged to the first
 *  caller in its call chain that has a category. `__raw_callee_save_*` are the paravirt thunks around these calls. */
export const SINK_SYMBOLS = /^(_raw_(spin|read|write)_unlock_(irqrestore|irq|bh)|\w*_irq_enable|__raw_callee_save_\w+|pvm_\w+|__pvm_\w+|pv_native_\w+|native_(irq_enable|restore_fl|write_msr\w*|safe_halt)|__local_bh_enable_ip)$/;

/** A profile is unreliable when more than this share of its non-idle samples (percent) stays unattributed: kernel code
 *  no rule knows, or a sink with no categorised caller. */
export const UNATTRIBUTED_LIMIT_PCT = 5;
