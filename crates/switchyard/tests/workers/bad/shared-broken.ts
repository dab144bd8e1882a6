export function helper(): string {
  return ;;; )
}
