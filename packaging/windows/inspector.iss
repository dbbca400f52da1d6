; Inno Setup script for Inspector: a per-user installer, no administrator rights needed.
;
;   python packaging\build.py --installer            (builds dist\Inspector, checks it, then runs iscc)
;   iscc /DAppVersion=0.1.0 /DFileVersion=0.1.0.0 packaging\windows\inspector.iss
;
; Needs Inno Setup 6.3 or newer. Input: the one-folder build in dist\Inspector. Output:
; dist\installer\Inspector-<version>-setup.exe.
;
; Installs into %LOCALAPPDATA%\Programs\Inspector, adds a Start menu shortcut (and a desktop
; shortcut if chosen) and an uninstaller (Settings > Apps). The user's data lives elsewhere, in
; %LOCALAPPDATA%\Inspector\Inspector (database, evidence vault, logs, settings); uninstalling does
; NOT remove it, so reinstalling or upgrading keeps every inspection.
;
; Wizard language: Inno Setup ships no Vietnamese translation. If Vietnamese.isl (from the
; unofficial translations on jrsoftware.org) is placed next to this script, the wizard is Vietnamese;
; otherwise it is English. The texts this script adds are Vietnamese either way.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=X.Y.Z /DFileVersion=X.Y.Z.0 inspector.iss (packaging\build.py does)
#endif
#ifndef FileVersion
  #define FileVersion AppVersion
#endif
#define AppName "Inspector"
#define AppExe "Inspector.exe"
#define Root AddBackslash(SourcePath) + "..\.."

[Setup]
; Never change AppId: it is how an upgrade finds the installed copy.
AppId={{A36E647C-8ED0-4F61-8AEB-7122A9C45D00}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Inspector
VersionInfoVersion={#FileVersion}
VersionInfoProductName={#AppName}
VersionInfoDescription=Bộ cài đặt Inspector
; Per user: no UAC prompt, {autopf} = %LOCALAPPDATA%\Programs, {autoprograms} = the user's Start menu.
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SetupIconFile={#Root}\resources\icons\inspector.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
OutputDir={#Root}\dist\installer
OutputBaseFilename=Inspector-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running Inspector before files are replaced (upgrade), and restart it afterwards.
CloseApplications=yes
RestartApplications=yes

[Languages]
#if FileExists(AddBackslash(SourcePath) + "Vietnamese.isl")
Name: "vi"; MessagesFile: "{#AddBackslash(SourcePath)}Vietnamese.isl"
#else
Name: "en"; MessagesFile: "compiler:Default.isl"
#endif

[CustomMessages]
DesktopShortcut=Tạo lối tắt trên màn hình nền
Shortcuts=Lối tắt:
AppComment=Ghi nhận kiểm tra đột xuất theo Chỉ thị 24-CT/TU
StartNow=Mở Inspector ngay

[Tasks]
Name: "desktopicon"; Description: "{cm:DesktopShortcut}"; GroupDescription: "{cm:Shortcuts}"; Flags: unchecked

[Files]
; The whole one-folder build: Inspector.exe (desktop app), inspector-cli.exe (command line), _internal\.
Source: "{#Root}\dist\Inspector\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundled libraries wholesale: files a newer build no longer has must go.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "{cm:AppComment}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "{cm:AppComment}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:StartNow}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the program folder. The data in %LOCALAPPDATA%\Inspector\Inspector is deliberately kept.
Type: filesandordirs; Name: "{app}\_internal"
